//! Zombienet tests of QSign's validator network, with zombienet-sdk's native provider: real
//! `qsign-node` processes from the release build, talking libp2p on localhost, spawned from the
//! network files in this directory (`local-3.toml`, `local-5.toml`).
//!
//! [`TestNetwork`] wraps a spawned network for blocking tests: it owns a tokio runtime for
//! zombienet's calls, kills, restarts and adds nodes, and hands out [`qsign_client::Client`]s
//! for the nodes' JSON-RPC. The scenario helpers ([`TestNetwork::request_signatures`],
//! [`TestNetwork::assert_all_signed`]) are the checks of issue 5: requests made through the
//! chain, every one ending Signed with a signature that verifies against the key derived
//! on-chain.
//!
//! The node binary is `$QSIGN_NODE_BIN`, or `qsign-node` next to the test binary's target
//! directory (`<target>/release/qsign-node`, where `scripts/test.sh` builds it).

use std::{
	path::{Path, PathBuf},
	sync::{Mutex, MutexGuard, Once},
	time::{Duration, Instant},
};

use qsign_client::{verify_request, Client, Key, Payload, RequestId, Signer, Status};
use zombienet_sdk::{AddNodeOptions, LocalFileSystem, Network, NetworkConfig, NetworkConfigExt};

/// Liveness deadline for anything a test waits for. Not a performance assertion: it only keeps
/// a broken build from hanging CI forever.
pub const LIVENESS_TIMEOUT: Duration = Duration::from_secs(300);

/// Requests per `request_signature` extrinsic (the runtime's `MaxBatch`).
pub const BATCH: usize = 16;

/// One network at a time in this process: the tests share two cores.
static ONE_NETWORK: Mutex<()> = Mutex::new(());

/// The `qsign-node` binary the networks run.
pub fn node_binary() -> PathBuf {
	if let Some(path) = std::env::var_os("QSIGN_NODE_BIN") {
		return PathBuf::from(path);
	}
	// <target>/release/deps/<test binary> → <target>/release/qsign-node
	let exe = std::env::current_exe().expect("the test binary has a path");
	exe.parent()
		.and_then(Path::parent)
		.map(|release| release.join("qsign-node"))
		.expect("the test binary lives in <target>/<profile>/deps")
}

/// A network file of this directory (read when the test runs, from `CARGO_MANIFEST_DIR`).
pub fn network_file(name: &str) -> PathBuf {
	let dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test");
	Path::new(&dir).join(name)
}

/// The account every scenario requests keys and signatures with.
pub fn alice() -> Signer {
	Signer::from_suri("//Alice").expect("a dev seed")
}

/// A spawned zombienet network, torn down (all its processes killed) when dropped.
pub struct TestNetwork {
	network: Option<Network<LocalFileSystem>>,
	runtime: tokio::runtime::Runtime,
	_one_network: MutexGuard<'static, ()>,
}

impl TestNetwork {
	/// Spawns the network of `file` (e.g. `local-3.toml`) with the native provider and waits
	/// until every node answers RPC.
	pub fn spawn(file: &str) -> Self {
		let one_network = ONE_NETWORK.lock().unwrap_or_else(|e| e.into_inner());
		let node = node_binary();
		assert!(
			node.is_file(),
			"no node binary at {} (build it first, or set QSIGN_NODE_BIN)",
			node.display()
		);
		// The network files name the command `qsign-node`; zombienet looks it up on PATH.
		static PATH: Once = Once::new();
		PATH.call_once(|| {
			let dir = node.parent().expect("a file has a directory").to_owned();
			let path = std::env::var_os("PATH").unwrap_or_default();
			let paths = std::iter::once(dir).chain(std::env::split_paths(&path));
			std::env::set_var("PATH", std::env::join_paths(paths).expect("valid PATH"));
		});
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(2)
			.enable_all()
			.build()
			.expect("a tokio runtime");
		let config = NetworkConfig::load_from_toml(&network_file(file).to_string_lossy())
			.unwrap_or_else(|e| panic!("{file}: {e}"));
		let network = runtime
			.block_on(config.spawn_native())
			.unwrap_or_else(|e| panic!("spawning {file}: {e}"));
		Self { network: Some(network), runtime, _one_network: one_network }
	}

	fn network(&self) -> &Network<LocalFileSystem> {
		self.network.as_ref().expect("present until dropped")
	}

	/// A JSON-RPC client for node `name`.
	pub fn client(&self, name: &str) -> Client {
		let node = self.network().get_node(name).unwrap_or_else(|e| panic!("{e}"));
		// The node serves HTTP and WebSocket JSON-RPC on the same port.
		let url = node.ws_uri().replacen("ws://", "http://", 1);
		Client::new(&url).unwrap_or_else(|e| panic!("client for {name} at {url}: {e}"))
	}

	/// Kills node `name` with SIGKILL (no shutdown: as if its machine died).
	pub fn kill(&self, name: &str) {
		let node = self.network().get_node(name).unwrap_or_else(|e| panic!("{e}"));
		// Only this node's command line has paths inside its own directory.
		let marker = format!("{}/", node.base_dir().display());
		let pids = processes_mentioning(&marker);
		assert!(!pids.is_empty(), "no process of {name} (nothing mentions {marker})");
		for pid in pids {
			nix::sys::signal::kill(
				nix::unistd::Pid::from_raw(pid),
				nix::sys::signal::Signal::SIGKILL,
			)
			.unwrap_or_else(|e| panic!("SIGKILL to {pid} ({name}): {e}"));
		}
	}

	/// Starts node `name` again with the same command line and base path (after [`Self::kill`],
	/// or killing it first if it still runs).
	pub fn restart(&self, name: &str) {
		let node = self.network().get_node(name).unwrap_or_else(|e| panic!("{e}"));
		self.runtime
			.block_on(node.restart(None))
			.unwrap_or_else(|e| panic!("restarting {name}: {e}"));
	}

	/// Starts node `name` again on its base path (its keystore, database and shares) with the
	/// command-line arguments `args` instead of its own (after [`Self::kill`]).
	pub fn restart_with_args(&self, name: &str, args: &[&str]) {
		let node = self.network().get_node(name).unwrap_or_else(|e| panic!("{e}"));
		let args = args.iter().map(|&arg| zombienet_sdk::Arg::from(arg)).collect();
		self.runtime
			.block_on(node.restart_with(Vec::new(), None, Some(args), None))
			.unwrap_or_else(|e| panic!("restarting {name}: {e}"));
	}

	/// Adds a full node (not a validator) that connects to the network.
	pub fn add_full_node(&mut self, name: &str) {
		let network = self.network.as_mut().expect("present until dropped");
		self.runtime
			.block_on(network.add_node(name, AddNodeOptions::default()))
			.unwrap_or_else(|e| panic!("adding {name}: {e}"));
	}

	/// Adds a validator node (`--validator`, an empty keystore: its operator generates session
	/// keys with `author_rotateKeysWithOwner`, see [`register_session_keys`]).
	pub fn add_validator_node(&mut self, name: &str) {
		self.add_validator_node_with(name, &[]);
	}

	/// Adds a validator node with extra command-line arguments (e.g. `--charlie` for a dev
	/// validator's keys on a fresh base path, or `--mpc-fault ...`).
	pub fn add_validator_node_with(&mut self, name: &str, args: &[&str]) {
		let network = self.network.as_mut().expect("present until dropped");
		let options = AddNodeOptions {
			is_validator: true,
			args: args.iter().map(|&arg| zombienet_sdk::Arg::from(arg)).collect(),
			..AddNodeOptions::default()
		};
		self.runtime
			.block_on(network.add_node(name, options))
			.unwrap_or_else(|e| panic!("adding {name}: {e}"));
	}

	/// Node `name`'s log so far.
	pub fn log(&self, name: &str) -> String {
		let node = self.network().get_node(name).unwrap_or_else(|e| panic!("{e}"));
		self.runtime.block_on(node.logs()).unwrap_or_else(|e| format!("(no log: {e})"))
	}

	/// The last lines of every node's log, for failure messages.
	pub fn logs(&self) -> String {
		let mut out = String::new();
		for node in self.network().nodes() {
			let log = self.log(node.name());
			let lines: Vec<&str> = log.lines().collect();
			out.push_str(&format!("----- {} (last 40 lines)\n", node.name()));
			for line in &lines[lines.len().saturating_sub(40)..] {
				out.push_str(line);
				out.push('\n');
			}
		}
		out
	}

	/// Waits until node `name` has logged `pattern` at least `count` times.
	pub fn wait_for_log(&self, name: &str, pattern: &str, count: usize) {
		let start = Instant::now();
		while self.log(name).matches(pattern).count() < count {
			assert!(
				start.elapsed() < LIVENESS_TIMEOUT,
				"{name} did not log {pattern:?} {count} times within {LIVENESS_TIMEOUT:?}\n{}",
				self.logs()
			);
			std::thread::sleep(Duration::from_millis(500));
		}
	}

	/// Waits for the committee's root key (the DKG's result, attested on-chain), then asks the
	/// chain for a key for Alice and returns it with its derived public key.
	pub fn ready_key(&self, client: &Client) -> Key {
		client
			.wait_for_root_key(LIVENESS_TIMEOUT)
			.unwrap_or_else(|e| panic!("no root key: {e}\n{}", self.logs()));
		client
			.request_key(&alice(), b"zombienet", LIVENESS_TIMEOUT)
			.unwrap_or_else(|e| panic!("request_key: {e}\n{}", self.logs()))
	}

	/// Makes `count` signature requests with `key` (in batches, all submitted before waiting
	/// for their inclusion) and returns their ids.
	pub fn request_signatures(&self, client: &Client, key: &Key, count: usize) -> Vec<RequestId> {
		let signer = alice();
		let since = client.best_number().expect("best block");
		let first_nonce = client.account_next_index(signer.account_id()).expect("nonce");
		let indexes: Vec<usize> = (0..count).collect();
		let mut hashes = Vec::new();
		for (nonce, batch) in (first_nonce..).zip(indexes.chunks(BATCH)) {
			let payloads: Vec<Payload> = batch
				.iter()
				.map(|i| Payload::keccak256(format!("zombienet message {i}")))
				.collect();
			let call = qsign_client::tx::request_signature_call(key.key_id, &payloads, None, None)
				.expect("a valid batch");
			hashes.push(
				client
					.submit_with_nonce(&signer, call, nonce)
					.unwrap_or_else(|e| panic!("submit: {e}\n{}", self.logs())),
			);
		}
		let inclusions = client
			.wait_for_inclusions(&hashes, since, LIVENESS_TIMEOUT)
			.unwrap_or_else(|e| panic!("inclusion: {e}\n{}", self.logs()));
		let ids: Vec<RequestId> = inclusions
			.into_iter()
			.flat_map(|inclusion| inclusion.ensure_success().expect("dispatched").request_ids())
			.collect();
		assert_eq!(ids.len(), count, "one request per payload");
		ids
	}

	/// Waits until every request has left `Pending` and checks that each is Signed with a
	/// signature that verifies against `key` (none Failed, none Expired, none lost).
	pub fn assert_all_signed(&self, client: &Client, key: &Key, ids: &[RequestId]) {
		self.assert_all_signed_within(client, key, ids, LIVENESS_TIMEOUT);
	}

	/// [`Self::assert_all_signed`] with another liveness deadline (for scenarios whose retries
	/// legitimately take many attempts).
	pub fn assert_all_signed_within(
		&self,
		client: &Client,
		key: &Key,
		ids: &[RequestId],
		timeout: Duration,
	) {
		let start = Instant::now();
		let mut waiting: Vec<RequestId> = ids.to_vec();
		while !waiting.is_empty() {
			let mut still = Vec::new();
			for &id in &waiting {
				let request = client
					.request_status(id)
					.unwrap_or_else(|e| panic!("request_status: {e}"))
					.expect("requests are not lost");
				match request.status {
					Status::Pending => still.push(id),
					Status::Signed { .. } => {
						verify_request(&request, &key.public_key, None)
							.unwrap_or_else(|e| panic!("request {id}: {e}"));
					}
					other => panic!("request {id} ended {other:?}, not Signed\n{}", self.logs()),
				}
			}
			waiting = still;
			assert!(
				start.elapsed() < timeout,
				"{} requests still pending after {timeout:?}: {waiting:?}\n{}",
				waiting.len(),
				self.logs()
			);
			std::thread::sleep(Duration::from_millis(500));
		}
	}

	/// Waits until the chain as `client` sees it has imported `blocks` more blocks.
	pub fn wait_blocks(&self, client: &Client, blocks: u32) {
		let target = client.best_number().expect("best block") + blocks;
		let start = Instant::now();
		while client.best_number().expect("best block") < target {
			assert!(start.elapsed() < LIVENESS_TIMEOUT, "no new blocks\n{}", self.logs());
			std::thread::sleep(Duration::from_millis(500));
		}
	}
}

impl Drop for TestNetwork {
	fn drop(&mut self) {
		if let Some(network) = self.network.take() {
			let dir = network.base_dir().map(PathBuf::from);
			// Killed nodes make teardown report errors; every process is gone either way
			// (the native provider also kills its children when they are dropped).
			let _ = self.runtime.block_on(network.destroy());
			// Zombienet leaves the network's directory (logs, base paths): keep it only for a
			// failed test, or when `QSIGN_KEEP_NETWORK` is set (to read the logs).
			match dir {
				Some(dir)
					if std::thread::panicking()
						|| std::env::var_os("QSIGN_KEEP_NETWORK").is_some() =>
				{
					eprintln!("network files and logs kept in {}", dir.display())
				}
				Some(dir) => {
					let _ = std::fs::remove_dir_all(dir);
				}
				None => {}
			}
		}
	}
}

/// Ids of the processes whose command line contains `marker`.
fn processes_mentioning(marker: &str) -> Vec<i32> {
	let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
	entries
		.filter_map(Result::ok)
		.filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
		.filter(|&pid| u32::try_from(pid).ok() != Some(std::process::id()))
		.filter(|pid| {
			std::fs::read(format!("/proc/{pid}/cmdline"))
				.map(|cmdline| String::from_utf8_lossy(&cmdline).contains(marker))
				.unwrap_or(false)
		})
		.collect()
}

/// What an operator does to make its node a validator candidate: `author_rotateKeysWithOwner`
/// on its node (new Aura, GRANDPA and `qmpc` keys in the node's keystore, and a proof that
/// `operator` owns them), then `session.setKeys` signed by `operator` (which holds the key
/// deposit). Returns the new keys.
///
/// # Panics
///
/// If the node or the chain refuses.
pub fn register_session_keys(node: &Client, operator: &Signer) -> qsign_runtime::SessionKeys {
	use codec::{Decode, Encode};
	let owner = format!("0x{}", hex(&operator.account_id().encode()));
	let generated = node
		.rpc()
		.call("author_rotateKeysWithOwner", serde_json::json!([owner]))
		.unwrap_or_else(|e| panic!("author_rotateKeysWithOwner: {e}"));
	let bytes = |field: &str| -> Vec<u8> {
		let text = generated[field].as_str().unwrap_or_else(|| panic!("no {field}: {generated}"));
		unhex(text.trim_start_matches("0x")).unwrap_or_else(|| panic!("{field} is not hex"))
	};
	let keys = qsign_runtime::SessionKeys::decode(&mut &bytes("keys")[..]).expect("session keys");
	let call = qsign_runtime::RuntimeCall::Session(pallet_session::Call::set_keys {
		keys: keys.clone(),
		proof: bytes("proof"),
	});
	submit_and_include(node, operator, call, "session.setKeys");
	keys
}

/// Submits `call` signed by `signer` and waits until it is included and dispatched successfully.
///
/// # Panics
///
/// If it is not included within [`LIVENESS_TIMEOUT`] or fails.
pub fn submit_and_include(
	client: &Client,
	signer: &Signer,
	call: qsign_runtime::RuntimeCall,
	what: &str,
) {
	let since = client.best_number().expect("best block");
	let hash = client.submit(signer, call).unwrap_or_else(|e| panic!("{what}: {e}"));
	client
		.wait_for_inclusion(hash, since, LIVENESS_TIMEOUT)
		.and_then(|inclusion| inclusion.ensure_success())
		.unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// Dispatches `call` as root through sudo (Alice is the sudo key of the local chains).
///
/// # Panics
///
/// As [`submit_and_include`], and if the inner call fails.
pub fn sudo(client: &Client, call: qsign_runtime::RuntimeCall, what: &str) {
	let call = qsign_runtime::RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(call) });
	let since = client.best_number().expect("best block");
	let hash = client.submit(&alice(), call).unwrap_or_else(|e| panic!("{what}: {e}"));
	let inclusion = client
		.wait_for_inclusion(hash, since, LIVENESS_TIMEOUT)
		.and_then(|inclusion| inclusion.ensure_success())
		.unwrap_or_else(|e| panic!("{what}: {e}"));
	let failed = inclusion.events.iter().any(|event| {
		matches!(
			event,
			qsign_runtime::RuntimeEvent::Sudo(pallet_sudo::Event::Sudid { sudo_result: Err(_) })
		)
	});
	assert!(!failed, "{what}: the call sudo dispatched failed");
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
	(0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}
