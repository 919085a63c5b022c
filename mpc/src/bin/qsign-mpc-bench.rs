//! Benchmark of the MPC engine, side by side in one run:
//!
//! * key generation and signing, 2-of-3 and 3-of-5, through our sessions (encoded messages,
//!   header checks, Feldman and echo layers, derived keys) and through the raw `dkls23` API
//!   (typed messages handed over in memory, root key) — the ratio is our overhead;
//! * a handover: resharing the key from `t`-of-`n` to the next committee of `n + 1` (one
//!   validator joins), beside the raw library's key generation for that committee (the work a
//!   handover would cost if it simply ran the library's DKG or complete refresh);
//! * a single-key k256 ECDSA signature for scale;
//! * message sizes per round.
//!
//! All parties run in this process on one thread, taking turns, so the times are the CPU
//! time of all parties summed (the thread's CPU clock, which excludes time spent waiting for
//! a core: this machine is shared). Wall time is printed too.
//!
//! Usage: `qsign-mpc-bench [DKG_RUNS] [SIGN_RUNS]` (defaults 3 and 60).
//!
//! `qsign-mpc-bench ceiling [SIGN_RUNS]` prints only the engine's signing ceiling on this
//! machine: the median CPU time of one 2-of-3 and one 3-of-5 signature through our sessions
//! (all signers summed) and what that allows on all of the machine's cores, one line each, as
//! `ceiling T-of-N: <ms> ms CPU per signature, <cores> cores: <rate> signatures/s` (the load
//! benchmark, `scripts/bench-load.sh`, prints its throughput as a share of it).

use std::{
	collections::BTreeMap,
	hint::black_box,
	time::{Duration, Instant},
};

use dkls23::{
	protocols::{
		dkg::{
			BroadcastDerivationPhase2to4, BroadcastDerivationPhase3to4, ProofCommitment,
			TransmitInitMulPhase3to4, TransmitInitZeroSharePhase2to4,
			TransmitInitZeroSharePhase3to4,
		},
		signing::{Broadcast3to4, SignData, TransmitPhase1to2, TransmitPhase2to3},
		Parameters, Party, PartyIndex as LibIndex,
	},
	DkgSession, SignSession,
};
use k256::Secp256k1;
use qsign_mpc::{
	DkgConfig, Dkls23, KeyShare, MessageHeader, PartyIndex, Recipient, ReshareConfig, Session,
	SessionId, SignRequest, ThresholdEcdsa,
};

#[path = "../cpu_clock.rs"]
mod cpu_clock;
use cpu_clock::thread_cpu;

/// CPU and wall time of `f`.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
	let (cpu, wall) = (thread_cpu(), Instant::now());
	let out = f();
	let wall = wall.elapsed();
	let cpu = match (cpu, thread_cpu()) {
		(Some(a), Some(b)) => b.saturating_sub(a),
		_ => wall,
	};
	(out, cpu, wall)
}

/// Median CPU and wall time of `ours` and `raw` over `runs` runs each, interleaved (and
/// alternating which goes first) so that both see the same load on this shared machine.
fn compare(
	runs: usize,
	mut ours: impl FnMut(usize),
	mut raw: impl FnMut(usize),
) -> ((Duration, Duration), (Duration, Duration)) {
	let (mut ours_times, mut raw_times) = (Vec::new(), Vec::new());
	for run in 0..runs {
		for ours_now in [run % 2 == 0, run % 2 != 0] {
			if ours_now {
				let ((), cpu, wall) = measure(|| ours(run));
				ours_times.push((cpu, wall));
			} else {
				let ((), cpu, wall) = measure(|| raw(run));
				raw_times.push((cpu, wall));
			}
		}
	}
	(median(ours_times), median(raw_times))
}

/// Median CPU and median wall time.
fn median(times: Vec<(Duration, Duration)>) -> (Duration, Duration) {
	let (mut cpu, mut wall): (Vec<_>, Vec<_>) = times.into_iter().unzip();
	cpu.sort();
	wall.sort();
	(cpu[cpu.len() / 2], wall[wall.len() / 2])
}

fn ms(d: Duration) -> f64 {
	d.as_secs_f64() * 1e3
}

fn party(i: u16) -> PartyIndex {
	PartyIndex::new(i).expect("index ≥ 1")
}

fn lib(i: u8) -> LibIndex {
	LibIndex::new(i).expect("index ≥ 1")
}

/// Message sizes seen, by (protocol round, broadcast?): (count, max bytes).
type Sizes = BTreeMap<(u8, bool), (usize, usize)>;

/// Runs our sessions to completion on this thread, recording message sizes.
fn drive<S: Session>(sessions: &mut [S], sizes: &mut Sizes) -> Vec<S::Output> {
	let slot: BTreeMap<PartyIndex, usize> =
		sessions.iter().enumerate().map(|(i, s)| (s.me(), i)).collect();
	let mut outputs: Vec<Option<S::Output>> = sessions.iter().map(|_| None).collect();
	loop {
		let mut queue = Vec::new();
		for session in sessions.iter_mut() {
			let me = session.me();
			for message in session.take_outgoing() {
				let (header, _) = MessageHeader::parse(&message.bytes).expect("our own message");
				let entry = sizes.entry((header.round, header.receiver.is_none())).or_default();
				entry.0 += 1;
				entry.1 = entry.1.max(message.bytes.len());
				match message.to {
					Recipient::Broadcast => {
						for &to in slot.keys().filter(|&&p| p != me) {
							queue.push((me, to, message.bytes.clone()));
						}
					}
					Recipient::Party(to) => queue.push((me, to, message.bytes)),
				}
			}
		}
		for (out, session) in outputs.iter_mut().zip(sessions.iter_mut()) {
			if out.is_none() {
				*out = session.take_output();
			}
		}
		if outputs.iter().all(Option::is_some) {
			return outputs.into_iter().flatten().collect();
		}
		assert!(!queue.is_empty(), "protocol stalled");
		for (from, to, bytes) in queue {
			sessions[slot[&to]].handle_message(from, &bytes).expect("honest run");
		}
	}
}

fn our_dkg(t: u16, n: u16, run: usize, sizes: &mut Sizes) -> Vec<KeyShare> {
	let mut id = [0xD0; 32];
	id[..8].copy_from_slice(&(run as u64).to_be_bytes());
	let mut sessions: Vec<_> = (1..=n)
		.map(|me| {
			let config =
				DkgConfig { session_id: SessionId(id), threshold: t, parties: n, me: party(me) };
			Dkls23::start_dkg(&config).expect("valid config")
		})
		.collect();
	drive(&mut sessions, sizes)
}

fn our_sign(shares: &[KeyShare], signers: &[u16], run: usize, sizes: &mut Sizes) {
	let mut id = [0x51; 32];
	id[..8].copy_from_slice(&(run as u64).to_be_bytes());
	let request = SignRequest {
		session_id: SessionId(id),
		signers: signers.iter().map(|&i| party(i)).collect(),
		epsilon: qsign_primitives::derivation::epsilon(&[7; 32], format!("bench,{run}").as_bytes()),
		message_hash: [run as u8; 32],
	};
	let mut sessions: Vec<_> = signers
		.iter()
		.map(|&i| Dkls23::start_sign(&shares[usize::from(i) - 1], &request).expect("valid request"))
		.collect();
	black_box(drive(&mut sessions, sizes));
}

/// The chain's threshold for a committee of `members`: `members / 2 + 1`.
fn majority(members: u16) -> u16 {
	members / 2 + 1
}

/// Hands `shares` (`t`-of-`n`) to a committee of `n + 1` with threshold `(n + 1) / 2 + 1`:
/// the old parties keep their indices, parties `1..=t` deal, party `n + 1` joins.
fn our_reshare(shares: &[KeyShare], run: usize, sizes: &mut Sizes) {
	let mut id = [0x4E; 32];
	id[..8].copy_from_slice(&(run as u64).to_be_bytes());
	let (t, n) = (shares[0].threshold(), shares[0].parties());
	let config = |me: u16| ReshareConfig {
		session_id: SessionId(id),
		public_key: shares[0].public_key(),
		dealers: (1..=t).map(|i| (party(i), party(i))).collect(),
		new_threshold: majority(n + 1),
		new_parties: n + 1,
		me: party(me),
	};
	let mut sessions: Vec<_> = (1..=n + 1)
		.map(|me| {
			let old = shares.get(usize::from(me) - 1);
			Dkls23::start_reshare(&config(me), old).expect("valid config")
		})
		.collect();
	black_box(drive(&mut sessions, sizes));
}

/// The library's own DKG flow with typed messages routed in memory (as in its tests).
fn raw_dkg(t: u8, n: u8, run: usize) -> Vec<Party<Secp256k1>> {
	let parameters = Parameters::new(t, n).expect("valid parameters");
	let session_id = [&b"raw"[..], &(run as u64).to_be_bytes()].concat();
	let mut sessions: Vec<DkgSession<Secp256k1>> =
		(1..=n).map(|i| DkgSession::new(parameters.clone(), lib(i), session_id.clone())).collect();
	let evaluations: Vec<Vec<k256::Scalar>> = sessions.iter().map(DkgSession::phase1).collect();
	let fragments: Vec<Vec<k256::Scalar>> =
		(0..n as usize).map(|j| evaluations.iter().map(|row| row[j]).collect()).collect();
	let mut proofs: Vec<ProofCommitment<Secp256k1>> = Vec::new();
	let mut zero2: Vec<TransmitInitZeroSharePhase2to4> = Vec::new();
	let mut bip2: BTreeMap<LibIndex, BroadcastDerivationPhase2to4> = BTreeMap::new();
	for (i, session) in sessions.iter_mut().enumerate() {
		let (proof, zero, bip) = session.phase2(&fragments[i]).expect("honest phase 2");
		proofs.push(proof);
		zero2.extend(zero);
		bip2.insert(lib(i as u8 + 1), bip);
	}
	let mut zero3: Vec<TransmitInitZeroSharePhase3to4> = Vec::new();
	let mut mul3: Vec<TransmitInitMulPhase3to4<Secp256k1>> = Vec::new();
	let mut bip3: BTreeMap<LibIndex, BroadcastDerivationPhase3to4> = BTreeMap::new();
	for (i, session) in sessions.iter_mut().enumerate() {
		let (zero, mul, bip) = session.phase3().expect("honest phase 3");
		zero3.extend(zero);
		mul3.extend(mul);
		bip3.insert(lib(i as u8 + 1), bip);
	}
	sessions
		.into_iter()
		.enumerate()
		.map(|(i, session)| {
			let me = lib(i as u8 + 1);
			let mine = |r: &LibIndex| *r == me;
			let z2: Vec<_> = zero2.iter().filter(|m| mine(&m.parties.receiver)).cloned().collect();
			let z3: Vec<_> = zero3.iter().filter(|m| mine(&m.parties.receiver)).cloned().collect();
			let m3: Vec<_> = mul3.iter().filter(|m| mine(&m.parties.receiver)).cloned().collect();
			session
				.phase4(&proofs, &z2, &z3, &m3, &bip2, &bip3, |_| String::new())
				.expect("honest phase 4")
				.0
		})
		.collect()
}

/// The library's signing flow (`SignSession`) with typed messages routed in memory; every
/// signer assembles the signature, as ours do.
fn raw_sign(parties: &[Party<Secp256k1>], signers: &[u8], run: usize) {
	let mut sessions = Vec::new();
	let mut round1: Vec<TransmitPhase1to2> = Vec::new();
	for &i in signers {
		let data = SignData {
			sign_id: (run as u64).to_be_bytes().to_vec(),
			counterparties: signers.iter().filter(|&&j| j != i).map(|&j| lib(j)).collect(),
			message_hash: [run as u8; 32],
		};
		let (session, transmit) =
			SignSession::new(&parties[usize::from(i) - 1], data).expect("phase 1");
		sessions.push((lib(i), session));
		round1.extend(transmit);
	}
	let mut round2: Vec<TransmitPhase2to3<Secp256k1>> = Vec::new();
	for (me, session) in &mut sessions {
		let mine: Vec<_> = round1.iter().filter(|m| m.parties.receiver == *me).cloned().collect();
		round2.extend(session.phase2(&mine).expect("phase 2"));
	}
	let mut round3: Vec<Broadcast3to4<Secp256k1>> = Vec::new();
	for (me, session) in &mut sessions {
		let mine: Vec<_> = round2.iter().filter(|m| m.parties.receiver == *me).cloned().collect();
		round3.push(session.phase3(&mine).expect("phase 3"));
	}
	for (_, session) in sessions {
		black_box(session.phase4(&round3, true).expect("phase 4"));
	}
}

/// The signing ceiling (see the module docs).
fn ceiling(sign_runs: usize) {
	let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
	for (t, n, signers) in [(2u16, 3u16, vec![1u16, 2]), (3, 5, vec![1, 3, 5])] {
		let mut sizes = Sizes::new();
		let shares = our_dkg(t, n, 0, &mut sizes);
		let times = (0..sign_runs)
			.map(|r| {
				let ((), cpu, wall) = measure(|| our_sign(&shares, &signers, r, &mut sizes));
				(cpu, wall)
			})
			.collect();
		let (cpu, _) = median(times);
		println!(
			"ceiling {t}-of-{n}: {:.2} ms CPU per signature, {cores} cores: {:.1} signatures/s",
			ms(cpu),
			cores as f64 / cpu.as_secs_f64()
		);
	}
}

fn main() {
	if std::env::args().nth(1).as_deref() == Some("ceiling") {
		let runs = std::env::args().nth(2).map_or(60, |a| {
			a.parse::<usize>().unwrap_or_else(|_| {
				eprintln!("qsign-mpc-bench: `{a}` is not a run count\nusage: qsign-mpc-bench ceiling [SIGN_RUNS]");
				std::process::exit(2)
			})
		});
		return ceiling(runs.max(1));
	}
	let mut args = std::env::args().skip(1).map(|a| {
		a.parse::<usize>().unwrap_or_else(|_| {
			eprintln!("qsign-mpc-bench: `{a}` is not a run count\nusage: qsign-mpc-bench [DKG_RUNS] [SIGN_RUNS]");
			std::process::exit(2)
		})
	});
	let dkg_runs = args.next().unwrap_or(3).max(1);
	let sign_runs = args.next().unwrap_or(60).max(1);
	println!(
		"qsign-mpc-bench: dkls23 0.6.2, all parties on one thread, CPU time summed over parties"
	);
	println!("medians of {dkg_runs} key generations and {sign_runs} signatures per row, ours and raw interleaved\n");
	println!(
		"{:<22} {:>13} {:>13} {:>13} {:>9}",
		"", "ours CPU ms", "raw CPU ms", "ours wall ms", "ours/raw"
	);

	let mut all_sizes: Vec<(String, Sizes)> = Vec::new();
	for (t, n, signers) in [(2u16, 3u16, vec![1u16, 2]), (3, 5, vec![1, 3, 5])] {
		let mut sizes = Sizes::new();
		let mut shares = Vec::new();
		let mut raw_parties = Vec::new();
		let ((ours_cpu, ours_wall), (raw_cpu, _)) = compare(
			dkg_runs,
			|r| shares = our_dkg(t, n, r, &mut sizes),
			|r| raw_parties = raw_dkg(t as u8, n as u8, r),
		);
		println!(
			"{:<22} {:>13.1} {:>13.1} {:>13.1} {:>9.3}",
			format!("DKG {t}-of-{n}"),
			ms(ours_cpu),
			ms(raw_cpu),
			ms(ours_wall),
			ours_cpu.as_secs_f64() / raw_cpu.as_secs_f64()
		);
		all_sizes.push((format!("DKG {t}-of-{n}"), sizes));

		let mut sizes = Sizes::new();
		let raw_signers: Vec<u8> = signers.iter().map(|&i| i as u8).collect();
		let ((ours_cpu, ours_wall), (raw_cpu, _)) = compare(
			sign_runs,
			|r| our_sign(&shares, &signers, r, &mut sizes),
			|r| raw_sign(&raw_parties, &raw_signers, r),
		);
		println!(
			"{:<22} {:>13.2} {:>13.2} {:>13.2} {:>9.3}",
			format!("sign {t}-of-{n} {signers:?}"),
			ms(ours_cpu),
			ms(raw_cpu),
			ms(ours_wall),
			ours_cpu.as_secs_f64() / raw_cpu.as_secs_f64()
		);
		println!(
			"{:<22} → one core: {:.0} signatures/s; {:.2} ms per signer",
			"",
			1.0 / ours_cpu.as_secs_f64(),
			ms(ours_cpu) / signers.len() as f64
		);
		all_sizes.push((format!("sign {t}-of-{n}"), sizes));

		let mut sizes = Sizes::new();
		let (t2, n2) = (majority(n + 1), n + 1);
		let ((ours_cpu, ours_wall), (raw_cpu, _)) = compare(
			dkg_runs,
			|r| our_reshare(&shares, r, &mut sizes),
			|r| {
				black_box(raw_dkg(t2 as u8, n2 as u8, r));
			},
		);
		println!(
			"{:<22} {:>13.1} {:>13.1} {:>13.1} {:>9.3}",
			format!("reshare →{t2}-of-{n2}"),
			ms(ours_cpu),
			ms(raw_cpu),
			ms(ours_wall),
			ours_cpu.as_secs_f64() / raw_cpu.as_secs_f64()
		);
		all_sizes.push((format!("reshare →{t2}-of-{n2}"), sizes));
	}

	let key = k256::ecdsa::SigningKey::from_slice(&[0x11; 32]).expect("valid scalar");
	let times = (0..sign_runs.max(200) as u64)
		.map(|i| {
			let hash = [i as u8; 32];
			let (out, cpu, wall) = measure(|| key.sign_prehash_recoverable(&hash));
			black_box(out);
			(cpu, wall)
		})
		.collect();
	let (k256_cpu, _) = median(times);
	println!("\nsingle-key k256 0.14 sign_prehash_recoverable: {:.3} ms CPU", ms(k256_cpu));

	println!("\nlargest message per round (bytes, header included)");
	for (name, sizes) in all_sizes {
		let rounds: Vec<String> = sizes
			.iter()
			.map(|((round, broadcast), (_, max))| {
				format!("r{round} {}: {max}", if *broadcast { "bcast" } else { "p2p" })
			})
			.collect();
		println!("  {name:<14} {}", rounds.join(", "));
	}
}
