//! `qsign-load`: an end-to-end signing benchmark against running `qsign-node`s.
//!
//! Creates one key per account, submits `--requests` signature requests in `request_signature`
//! extrinsics of `--batch` payloads, spread round-robin over `--accounts` accounts (the
//! `--suri` account, then the other development accounts), each account on one of the `--rpc`
//! nodes with its own locally counted nonces. It follows the best chain of the first node and
//! reads every block's events: the block that includes each extrinsic gives the request ids
//! (`RequestCreated`) and the block of each `Signed` / `Failed` / `Expired` event gives the
//! outcome, observed at the time the block was seen. At the end it reads every request's status
//! (`qsign_requestStatus`), verifies every signature locally against the key's public key and
//! the locally computed message hash, and prints counts, throughput (signatures per second
//! from the first submission to the last `Signed` seen) and the request→signature latency in
//! blocks (signed block − inclusion block) and seconds (seen − submitted), p50 and p99.
//!
//! Where the time goes: it then asks every `--rpc` node for its stage times of the signed
//! requests (`qsign_signingTimes`: first seen final, run started, run finished, signature in the
//! pool) and prints p50/p99 of each stage between the client's own observations (submitted,
//! request's block seen, result's block seen; the client polls every 250 ms), taking each node
//! stage from the first validator to reach it. And the MPC traffic of the run
//! (`qsign_mpcTraffic` before and after): bytes sent per signature, per validator.
//!
//! Each extrinsic's TTL is `--ttl` plus 0..63 blocks, so that the requests' expiries spread
//! over blocks (the runtime bounds the requests expiring in one block).
//!
//! Usage: `qsign-load --rpc URL [--rpc URL...] --requests N [--suri //Alice] [--accounts K]
//! [--batch B] [--ttl BLOCKS] [--rate EXTRINSICS_PER_SEC] [--timeout SECS]`. Exit code 0 if
//! every request was signed and verified, 1 otherwise, 2 for bad arguments.

use std::{
	collections::{BTreeMap, HashMap, HashSet},
	process::ExitCode,
	sync::mpsc,
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use clap::{error::ErrorKind, CommandFactory, Parser};
use qsign_client::{
	cli, derive_key,
	events::{request_outcomes, Inclusion},
	stages::{RequestPath, SigningPhase, StageTable, Traffic},
	stats::Summary,
	to_hex,
	tx::{max_batch, request_key_call, request_signature_call},
	verify_request, BlockWatcher, Client, EventRecord, Key, MessageHash, Outcome, Payload,
	RequestId, Signer, Status,
};
use qsign_runtime::{BlockNumber, Hash};
use sp_keyring::Sr25519Keyring;

/// End-to-end signing benchmark against running qsign-nodes.
#[derive(Parser)]
#[command(name = "qsign-load", version)]
struct Cli {
	/// RPC URL of a node (HTTP); repeat to spread the accounts over several nodes.
	#[arg(long = "rpc", required = true, value_parser = cli::parse_url)]
	rpc: Vec<String>,
	/// Number of signature requests.
	#[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
	requests: u32,
	/// Secret URI of the first account.
	#[arg(long, default_value = "//Alice")]
	suri: String,
	/// Accounts submitting in parallel: the --suri account, then the other development
	/// accounts (//Alice, //Bob, //Charlie, ... and their stashes).
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=12))]
	accounts: u32,
	/// Payloads per request_signature extrinsic (1 to the runtime's MaxBatch).
	#[arg(long, default_value_t = 1, value_parser = parse_batch)]
	batch: u32,
	/// TTL of the requests, in blocks (each extrinsic adds 0..63).
	#[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000))]
	ttl: u32,
	/// Extrinsics per second over all accounts (default: as fast as the nodes accept them).
	#[arg(long, value_parser = parse_rate)]
	rate: Option<f64>,
	/// Seconds to wait, after the last submission, for all requests to finish.
	#[arg(long, default_value = "600", value_parser = cli::parse_secs)]
	timeout: u64,
	/// Seconds to wait for the committee's root key.
	#[arg(long, default_value = "300", value_parser = cli::parse_secs)]
	root_key_timeout: u64,
	/// The engine's signing ceiling on this machine, in signatures per second (`qsign-mpc-bench
	/// ceiling`, for the committee's t-of-n): the throughput is also printed as a share of it.
	#[arg(long, value_parser = parse_rate)]
	ceiling: Option<f64>,
	/// Derivation path of the benchmark's keys.
	#[arg(long, default_value = "qsign-load", value_parser = cli::parse_path)]
	path: String,
}

fn parse_batch(text: &str) -> Result<u32, String> {
	let max = max_batch();
	match text.parse::<u32>() {
		Ok(b) if (1..=max).contains(&b) => Ok(b),
		_ => Err(format!("expected a number from 1 to {max} (the runtime's MaxBatch)")),
	}
}

fn parse_rate(text: &str) -> Result<f64, String> {
	match text.parse::<f64>() {
		Ok(r) if r.is_finite() && r > 0.0 && r <= 1e6 => Ok(r),
		_ => Err("expected a positive number (per second), at most 1000000".into()),
	}
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	let signer = Signer::from_suri(&cli.suri).unwrap_or_else(|e| {
		Cli::command().error(ErrorKind::ValueValidation, format!("--suri: {e}")).exit()
	});
	match run(&cli, &signer) {
		Ok(true) => ExitCode::SUCCESS,
		Ok(false) => ExitCode::FAILURE,
		Err(message) => {
			eprintln!("qsign-load: FAILED: {message}");
			ExitCode::FAILURE
		}
	}
}

/// One `request_signature` extrinsic of the plan.
struct Job {
	/// Position in the global submission order.
	index: usize,
	/// The submitting account (index into the accounts).
	account: usize,
	/// What it asks to sign.
	payloads: Vec<Payload>,
	/// Its TTL.
	ttl: BlockNumber,
}

/// What a submitter thread reports.
enum Report {
	/// The node accepted job `job` into its pool.
	Submitted { job: usize, tx_hash: Hash, at: Instant },
	/// The node refused it.
	Rejected { job: usize, error: String },
}

/// A request of the benchmark and what was observed about it.
struct Tracked {
	job: usize,
	message_hash: MessageHash,
	included_in: BlockNumber,
	/// When the client saw the block that included it.
	included_seen: Instant,
}

/// Wall-clock ms since the UNIX epoch of instants, from one reading of both clocks (to compare
/// the client's observations with the validators' stage times).
#[derive(Clone, Copy)]
struct WallClock {
	base: Instant,
	base_ms: u64,
}

impl WallClock {
	fn now() -> Self {
		let base_ms =
			SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
		WallClock { base: Instant::now(), base_ms }
	}

	fn ms(&self, at: Instant) -> u64 {
		match at.checked_duration_since(self.base) {
			Some(after) => self.base_ms + after.as_millis() as u64,
			None => self.base_ms.saturating_sub(self.base.duration_since(at).as_millis() as u64),
		}
	}
}

fn run(cli: &Cli, first: &Signer) -> Result<bool, String> {
	let clients = cli
		.rpc
		.iter()
		.map(|url| Client::new(url).map_err(|e| e.to_string()))
		.collect::<Result<Vec<_>, _>>()?;
	let primary = &clients[0];
	for client in &clients {
		let chain = client
			.chain_info()
			.map_err(|e| format!("cannot talk to the node at {}: {e}", client.url()))?;
		if chain != primary.chain_info().map_err(|e| e.to_string())? {
			return Err(format!("{} is on another chain than {}", client.url(), primary.url()));
		}
	}
	let signers = accounts(first, cli.accounts as usize);
	let tx_timeout = Duration::from_secs(cli.timeout);

	println!("waiting up to {} s for the committee's root key...", cli.root_key_timeout);
	let root =
		primary.wait_for_root_key(Duration::from_secs(cli.root_key_timeout)).map_err(|e| {
			format!("{e}: no DKG result on chain (is the validators' MPC worker running?)")
		})?;
	println!("root key {}", to_hex(&root));

	let keys = create_keys(&clients, &signers, &cli.path, &root, tx_timeout)?;

	// The plan: extrinsic j carries requests j·B .. min((j+1)·B, N) for account j mod K.
	let run_id = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
	let (requests, batch) = (cli.requests as usize, cli.batch as usize);
	let jobs: Vec<Job> = (0..requests.div_ceil(batch))
		.map(|index| {
			let count = batch.min(requests - index * batch);
			let payloads = (0..count)
				.map(|k| {
					Payload::keccak256(format!("qsign-load {run_id} {index} {k}").into_bytes())
				})
				.collect();
			// `index % 64 < 64`, so the cast is exact.
			let spread = (index % 64) as BlockNumber;
			Job { index, account: index % signers.len(), payloads, ttl: cli.ttl + spread }
		})
		.collect();
	println!(
		"submitting {requests} requests in {} extrinsics (batch {batch}) from {} accounts via {} \
		 node(s){}",
		jobs.len(),
		signers.len(),
		clients.len(),
		cli.rate.map(|r| format!(" at {r} extrinsics/s")).unwrap_or_default()
	);

	// The validators' MPC counters before the run (a node without them: no traffic figures).
	let traffic_before: Option<Vec<Traffic>> =
		clients.iter().map(|client| client.mpc_traffic().ok()).collect();
	let start_block = primary.best_number().map_err(|e| e.to_string())?;
	let (sender, receiver) = mpsc::channel::<Report>();
	let started = Instant::now();
	let observed = std::thread::scope(|scope| {
		for (account, signer) in signers.iter().enumerate() {
			let client = &clients[account % clients.len()];
			let key_id = keys[account].key_id;
			let my_jobs: Vec<&Job> = jobs.iter().filter(|j| j.account == account).collect();
			let sender = sender.clone();
			let rate = cli.rate;
			scope.spawn(move || submit(client, signer, key_id, my_jobs, rate, started, sender));
		}
		drop(sender);
		observe(primary, &jobs, receiver, start_block, tx_timeout)
	})?;

	let (ok, signed) = report(primary, cli, &jobs, &keys, &observed, started)?;
	report_stages(&clients, &observed, cli.ceiling);
	if let Some(before) = traffic_before {
		report_traffic(&clients, &before, signed);
	}
	Ok(ok)
}

/// Prints where the signed requests' time went, stage by stage (see the module docs).
fn report_stages(clients: &[Client], seen: &Observed, ceiling: Option<f64>) {
	let clock = seen.clock;
	let mut signed: Vec<(RequestId, RequestPath)> = Vec::new();
	for (&id, tracked) in &seen.requests {
		let (Some((_, at, Outcome::Signed(_))), Some((submitted, _))) =
			(seen.outcomes.get(&id), seen.submitted.get(&tracked.job))
		else {
			continue;
		};
		signed.push((
			id,
			RequestPath {
				submitted: clock.ms(*submitted),
				included_seen: clock.ms(tracked.included_seen),
				nodes: Vec::new(),
				signed_seen: clock.ms(*at),
			},
		));
	}
	if signed.is_empty() {
		return;
	}
	let ids: Vec<RequestId> = signed.iter().map(|(id, _)| *id).collect();
	for client in clients {
		match client.signing_times(&ids) {
			Ok(times) => {
				for ((_, path), times) in signed.iter_mut().zip(times) {
					path.nodes.extend(times);
				}
			}
			Err(e) => eprintln!("qsign-load: no stage times from {}: {e}", client.url()),
		}
	}
	let paths: Vec<RequestPath> = signed.into_iter().map(|(_, path)| path).collect();
	println!(
		"  where the time went ({} signed requests; node stages from the first validator):",
		paths.len()
	);
	for line in StageTable::of(&paths).lines() {
		println!("{line}");
	}
	if let Some(phase) = SigningPhase::of(&paths) {
		let share = ceiling
			.map(|ceiling| format!(" ({:.0} % of the ceiling)", 100.0 * phase.rate() / ceiling))
			.unwrap_or_default();
		println!(
			"  signing phase: {} signatures from the first run's start to the last signature's \
			 run in {:.1} s = {:.2} signatures/s{share}",
			phase.signatures,
			phase.span_ms as f64 / 1_000.0,
			phase.rate()
		);
	}
}

/// Prints the validators' MPC traffic during the run: bytes per signature (all validators
/// together) and per signer (each signer of a run sends about the same), from the signing
/// runs' counters of every `--rpc` node (give every validator's, or the figures are partial).
fn report_traffic(clients: &[Client], before: &[Traffic], signatures: usize) {
	let mut total = Traffic::default();
	for (client, before) in clients.iter().zip(before) {
		match client.mpc_traffic() {
			Ok(after) => {
				let delta = after.since(before);
				total.signing_messages += delta.signing_messages;
				total.signing_bytes += delta.signing_bytes;
				total.all_bytes += delta.all_bytes;
				total.signing_runs += delta.signing_runs;
				total.signatures += delta.signatures;
			}
			Err(e) => return eprintln!("qsign-load: no MPC counters from {}: {e}", client.url()),
		}
	}
	if signatures == 0 || total.signatures == 0 {
		return;
	}
	let per_signature = total.signing_bytes as f64 / signatures as f64;
	let per_signer = total.signing_bytes as f64 / total.signatures as f64;
	println!(
		"  MPC traffic of {} validators: {:.0} bytes and {:.1} messages sent per signature; \
		 {:.0} bytes per signer per signature ({} signing runs started, {} signer outputs for \
		 {signatures} signatures); all MPC traffic {:.1} KiB",
		clients.len(),
		per_signature,
		total.signing_messages as f64 / signatures as f64,
		per_signer,
		total.signing_runs,
		total.signatures,
		total.all_bytes as f64 / 1024.0,
	);
}

/// The `--suri` account, then development accounts other than it, `count` in all.
fn accounts(first: &Signer, count: usize) -> Vec<Signer> {
	let mut signers = vec![first.clone()];
	for keyring in Sr25519Keyring::well_known() {
		if signers.len() >= count {
			break;
		}
		let signer = Signer::from_pair(keyring.pair());
		if signer.account_id() != first.account_id() {
			signers.push(signer);
		}
	}
	signers
}

/// One key per account (`request_key(path)`; an existing key is reused), checked against the
/// local derivation from the root key.
fn create_keys(
	clients: &[Client],
	signers: &[Signer],
	path: &str,
	root: &qsign_client::PublicKey,
	timeout: Duration,
) -> Result<Vec<Key>, String> {
	let primary = &clients[0];
	let since = primary.best_number().map_err(|e| e.to_string())?;
	let call = request_key_call(path.as_bytes()).map_err(|e| e.to_string())?;
	let mut hashes = Vec::new();
	for (i, signer) in signers.iter().enumerate() {
		let client = &clients[i % clients.len()];
		let hash = client.submit(signer, call.clone()).map_err(|e| format!("request_key: {e}"))?;
		hashes.push(hash);
	}
	let inclusions =
		primary.wait_for_inclusions(&hashes, since, timeout).map_err(|e| e.to_string())?;
	let mut keys = Vec::new();
	for (signer, inclusion) in signers.iter().zip(inclusions) {
		let inclusion = inclusion.ensure_success().map_err(|e| format!("request_key: {e}"))?;
		let (key_id, _) = inclusion.key().ok_or("request_key emitted no key event")?;
		let key = primary
			.key_info(key_id)
			.map_err(|e| e.to_string())?
			.ok_or_else(|| format!("key {key_id} not found"))?;
		let derived = derive_key(root, signer.account_id(), path.as_bytes())
			.map_err(|e| format!("local derivation: {e}"))?;
		if derived != key.public_key {
			return Err(format!("key {key_id} differs from its local derivation"));
		}
		println!("key {key_id} for {}: {}", key.owner, key.ethereum_address);
		keys.push(key);
	}
	Ok(keys)
}

/// Submits `jobs` for one account with locally counted nonces (fetched again after an error).
fn submit(
	client: &Client,
	signer: &Signer,
	key_id: qsign_client::KeyId,
	jobs: Vec<&Job>,
	rate: Option<f64>,
	started: Instant,
	reports: mpsc::Sender<Report>,
) {
	let mut nonce = None;
	for job in jobs {
		if let Some(rate) = rate {
			let due = started + Duration::from_secs_f64(job.index as f64 / rate);
			std::thread::sleep(due.saturating_duration_since(Instant::now()));
		}
		let result = (|| {
			let current = match nonce {
				Some(n) => n,
				None => client.account_next_index(signer.account_id())?,
			};
			let call = request_signature_call(key_id, &job.payloads, Some(job.ttl), None)?;
			let at = Instant::now();
			let tx_hash = client.submit_with_nonce(signer, call, current)?;
			nonce = Some(current + 1);
			Ok::<_, qsign_client::Error>((tx_hash, at))
		})();
		let report = match result {
			Ok((tx_hash, at)) => Report::Submitted { job: job.index, tx_hash, at },
			Err(error) => {
				nonce = None;
				Report::Rejected { job: job.index, error: error.to_string() }
			}
		};
		if reports.send(report).is_err() {
			return;
		}
	}
}

/// Everything observed while following the chain.
struct Observed {
	/// Per job: submission time and extrinsic hash.
	submitted: HashMap<usize, (Instant, Hash)>,
	/// Per job: why it created no requests (pool rejection, dispatch error, never included).
	not_created: BTreeMap<usize, String>,
	/// Our requests.
	requests: BTreeMap<RequestId, Tracked>,
	/// First outcome event seen per request id (anyone's): block, time seen, outcome.
	outcomes: HashMap<RequestId, (BlockNumber, Instant, Outcome)>,
	/// Time of the first submission.
	first_submission: Option<Instant>,
	/// Instants as wall-clock ms.
	clock: WallClock,
}

/// Follows the primary node's best chain until every job is resolved and every request has an
/// outcome, or until `timeout` after the last submission.
fn observe(
	client: &Client,
	jobs: &[Job],
	reports: mpsc::Receiver<Report>,
	start_block: BlockNumber,
	timeout: Duration,
) -> Result<Observed, String> {
	let mut seen = Observed {
		submitted: HashMap::new(),
		not_created: BTreeMap::new(),
		requests: BTreeMap::new(),
		outcomes: HashMap::new(),
		first_submission: None,
		clock: WallClock::now(),
	};
	let mut watcher = BlockWatcher::new(start_block);
	// Every extrinsic seen since the start: where it is. Events of those blocks, by hash.
	let mut tx_blocks: HashMap<Hash, (BlockNumber, Hash, u32, Instant)> = HashMap::new();
	let mut block_events: HashMap<Hash, Vec<EventRecord>> = HashMap::new();
	let mut included: HashSet<usize> = HashSet::new();
	let mut submitting = true;
	let mut deadline = None;
	let mut last_progress = Instant::now();
	loop {
		loop {
			match reports.try_recv() {
				Ok(Report::Submitted { job, tx_hash, at }) => {
					seen.first_submission =
						Some(seen.first_submission.map_or(at, |first| first.min(at)));
					seen.submitted.insert(job, (at, tx_hash));
				}
				Ok(Report::Rejected { job, error }) => {
					seen.not_created.insert(job, format!("rejected by the pool: {error}"));
				}
				Err(mpsc::TryRecvError::Empty) => break,
				Err(mpsc::TryRecvError::Disconnected) => {
					if submitting {
						submitting = false;
						deadline = Some(Instant::now() + timeout);
					}
					break;
				}
			}
		}

		for block in watcher.poll(client).map_err(|e| e.to_string())? {
			let now = Instant::now();
			let events = client.events(block.hash).map_err(|e| e.to_string())?;
			for (id, outcome) in request_outcomes(&events) {
				seen.outcomes.entry(id).or_insert((block.number, now, outcome));
			}
			for (index, hash) in block.extrinsic_hashes().into_iter().enumerate() {
				let index = u32::try_from(index).unwrap_or(u32::MAX);
				tx_blocks.insert(hash, (block.number, block.hash, index, now));
			}
			block_events.insert(block.hash, events);
		}

		// Resolve submitted extrinsics found in a block (in either order of report and block).
		for (&job, &(_, tx_hash)) in &seen.submitted {
			if included.contains(&job) {
				continue;
			}
			let Some(&(number, block_hash, index, block_seen)) = tx_blocks.get(&tx_hash) else {
				continue;
			};
			let records = block_events.get(&block_hash).map(Vec::as_slice).unwrap_or_default();
			let inclusion = Inclusion::from_events(tx_hash, block_hash, number, index, records);
			included.insert(job);
			if let Some(error) = inclusion.dispatch_error {
				seen.not_created.insert(job, format!("dispatch failed: {error}"));
				continue;
			}
			let ids = inclusion.request_ids();
			let payloads = &jobs[job].payloads;
			if ids.len() != payloads.len() {
				seen.not_created.insert(
					job,
					format!("{} request ids for {} payloads", ids.len(), payloads.len()),
				);
				continue;
			}
			for (id, payload) in ids.into_iter().zip(payloads) {
				let tracked = Tracked {
					job,
					message_hash: payload.message_hash(),
					included_in: number,
					included_seen: block_seen,
				};
				seen.requests.insert(id, tracked);
			}
		}

		let unresolved = seen.submitted.len() - included.len();
		let open = seen.requests.keys().filter(|id| !seen.outcomes.contains_key(id)).count();
		if last_progress.elapsed() >= Duration::from_secs(5) {
			last_progress = Instant::now();
			eprintln!(
				"[{:>5.0} s] submitted {}/{} extrinsics, {} awaiting inclusion, {} requests \
				 created, {} finished",
				seen.first_submission.map(|t| t.elapsed().as_secs_f64()).unwrap_or(0.0),
				seen.submitted.len(),
				jobs.len(),
				unresolved,
				seen.requests.len(),
				seen.requests.len() - open,
			);
		}
		if !submitting && unresolved == 0 && open == 0 {
			return Ok(seen);
		}
		if deadline.is_some_and(|d| Instant::now() >= d) {
			for (&job, _) in seen.submitted.iter().filter(|(job, _)| !included.contains(job)) {
				seen.not_created.insert(job, "not included before the timeout".into());
			}
			eprintln!("timed out: {unresolved} extrinsics not included, {open} requests open");
			return Ok(seen);
		}
		std::thread::sleep(qsign_client::client::POLL_INTERVAL);
	}
}

/// Reads every request's final status, verifies the signatures and prints the results:
/// whether all were signed and verified, and how many were signed.
fn report(
	client: &Client,
	cli: &Cli,
	jobs: &[Job],
	keys: &[Key],
	seen: &Observed,
	started: Instant,
) -> Result<(bool, usize), String> {
	let (mut signed, mut failed, mut expired, mut pending, mut verified) = (0, 0, 0, 0, 0);
	let mut problems: BTreeMap<String, usize> = BTreeMap::new();
	let (mut blocks, mut seconds) = (Vec::new(), Vec::new());
	let mut last_signed: Option<Instant> = None;
	for (&id, tracked) in &seen.requests {
		let job = &jobs[tracked.job];
		let request = match client.request_status(id) {
			Ok(Some(request)) => request,
			Ok(None) => {
				*problems.entry("request not found on chain".into()).or_default() += 1;
				pending += 1;
				continue;
			}
			Err(e) => return Err(format!("reading request {id}: {e}")),
		};
		match &request.status {
			Status::Signed { .. } | Status::Broadcast { .. } => signed += 1,
			Status::Failed { reason } => {
				failed += 1;
				*problems.entry(format!("failed: {reason}")).or_default() += 1;
				continue;
			}
			Status::Expired => {
				expired += 1;
				continue;
			}
			Status::Pending => {
				pending += 1;
				continue;
			}
		}
		match verify_request(&request, &keys[job.account].public_key, Some(&tracked.message_hash)) {
			Ok(_) => verified += 1,
			Err(e) => *problems.entry(e.to_string()).or_default() += 1,
		}
		let submitted_at = seen.submitted.get(&tracked.job).map(|(at, _)| *at);
		match (seen.outcomes.get(&id), submitted_at) {
			(Some((block, at, Outcome::Signed(_))), Some(submitted_at)) => {
				blocks.push(f64::from(block.saturating_sub(tracked.included_in)));
				seconds.push(at.saturating_duration_since(submitted_at).as_secs_f64());
				last_signed = Some(last_signed.map_or(*at, |last| last.max(*at)));
			}
			_ => *problems.entry("signed, but no Signed event was seen".into()).or_default() += 1,
		}
	}
	let not_created: usize = seen.not_created.keys().map(|&job| jobs[job].payloads.len()).sum();
	for (&job, reason) in &seen.not_created {
		*problems.entry(format!("not created: {reason}")).or_default() += jobs[job].payloads.len();
	}

	let total = cli.requests as usize;
	println!();
	println!(
		"qsign-load: {total} requests, {} extrinsics (batch {}), {} accounts, {} node(s)",
		jobs.len(),
		cli.batch,
		keys.len(),
		cli.rpc.len()
	);
	println!(
		"  total {total}, signed {signed}, failed {failed}, expired {expired}, pending {pending}, \
		 not created {not_created}"
	);
	println!("  verified locally: {verified} of {signed} signatures");
	let first = seen.first_submission.unwrap_or(started);
	match last_signed {
		Some(last) if last > first => {
			let wall = last.duration_since(first).as_secs_f64();
			let rate = signed as f64 / wall;
			println!(
				"  throughput: {signed} signatures in {wall:.1} s = {rate:.2} signatures/s (first \
				 submission to last Signed seen)"
			);
			if let Some(ceiling) = cli.ceiling {
				println!(
					"  share of the engine's ceiling ({ceiling:.1} signatures/s, qsign-mpc-bench \
					 on this machine): {:.0} %",
					100.0 * rate / ceiling
				);
			}
		}
		_ => println!("  throughput: no signatures"),
	}
	if let (Some(b), Some(s)) = (Summary::of(&blocks), Summary::of(&seconds)) {
		println!(
			"  latency request -> signature: blocks p50 {:.0} p99 {:.0} (min {:.0}, max {:.0}); \
			 seconds p50 {:.2} p99 {:.2} (min {:.2}, max {:.2})",
			b.p50, b.p99, b.min, b.max, s.p50, s.p99, s.min, s.max
		);
	}
	for (problem, count) in &problems {
		println!("  {count} request(s): {problem}");
	}
	let ok = signed == total && verified == signed && problems.is_empty();
	if !ok {
		eprintln!("qsign-load: not every request was signed and verified");
	}
	Ok((ok, signed))
}
