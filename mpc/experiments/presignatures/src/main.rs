//! Why QSign has no presignature pool, measured side by side in one run.
//!
//! 1. **Cost.** Per signature (2-of-3, all parties on this thread, CPU time summed over
//!    parties, medians, runs interleaved): our engine's full signing (`qsign-mpc`, DKLs23,
//!    three rounds, derived key) against `cggmp21` 0.6.3's presignature generation plus its
//!    one-round online step, and a single-key k256 signature. Also the one-off setup of each
//!    (our DKG; cggmp21's key generation, Paillier primes and auxiliary-info generation).
//! 2. **Forgery.** QSign signs caller-supplied 32-byte hashes (`QSignHash`) under additively
//!    derived keys. With a presignature pool, the nonce point `R` of a presignature is known
//!    to every validator holding it *before* the hash is chosen. One such validator and one
//!    requester then forge a signature under **another user's** derived key: the requester
//!    asks for `h = h_v + r·(ε_v − ε_a)` under its own key `ε_a` and the result is a valid
//!    signature on `h_v` under the victim's key `ε_v` (Groth–Shoup, eprint 2021/1330). The run
//!    shows the forgery passing the chain's own signature check
//!    (`qsign_primitives::signature::verify_signature`), then the same request against a
//!    presignature re-randomised by a hash of (R, h, ε), where it fails.
//!
//! cggmp21 0.6.x is excluded for production by our engine issue (its changelog says the
//! CGGMP24 checks are missing); it is used here because it is the one crate whose
//! presignatures are not tied to a derivation path, i.e. the best case for a pool.
//!
//! Usage: `qsign-presignature-study [RUNS]` (default 10).

use std::{
	hint::black_box,
	time::{Duration, Instant},
};

use cggmp21::{
	generic_ec::{coords::AlwaysHasAffineX, NonZero, Point, Scalar, SecretScalar},
	security_level::SecurityLevel128,
	supported_curves::Secp256k1,
	DataToSign, ExecutionId, KeyShare, PartialSignature, PregeneratedPrimes, Presignature,
};
use qsign_mpc::{DkgConfig, Dkls23, PartyIndex, SessionId, SignRequest, ThresholdEcdsa};
use qsign_primitives::{
	derivation::{derive_public_key, epsilon},
	signature::verify_signature,
};
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

#[path = "../../../src/cpu_clock.rs"]
mod cpu_clock;
use cpu_clock::thread_cpu;

type E = Secp256k1;

/// CPU time of `f` (wall time if the thread clock is unavailable).
fn cpu<T>(f: impl FnOnce() -> T) -> (T, Duration) {
	let (start, wall) = (thread_cpu(), Instant::now());
	let out = f();
	match (start, thread_cpu()) {
		(Some(a), Some(b)) => (out, b.saturating_sub(a)),
		_ => (out, wall.elapsed()),
	}
}

fn median(mut times: Vec<Duration>) -> Duration {
	times.sort();
	times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
	d.as_secs_f64() * 1e3
}

fn party(i: u16) -> PartyIndex {
	PartyIndex::new(i).expect("index ≥ 1")
}

/// The root key of a cggmp21 committee, SEC1 compressed.
fn root_key(shares: &[KeyShare<E>]) -> [u8; 33] {
	shares[0].shared_public_key.to_bytes(true).as_bytes().try_into().expect("33 bytes")
}

/// cggmp21's own setup for `t`-of-`n`: key generation, then one Paillier prime pair per
/// party, then auxiliary-info generation. Returns the shares and the three CPU times.
fn cggmp21_setup(t: u16, n: u16) -> (Vec<KeyShare<E>>, [Duration; 3]) {
	let (cores, keygen) = cpu(|| {
		round_based::sim::run(n, |i, party| async move {
			cggmp21::keygen::<E>(ExecutionId::new(b"study-keygen"), i, n)
				.set_threshold(t)
				.start(&mut OsRng, party)
				.await
		})
		.expect("simulation")
		.expect_ok()
		.into_vec()
	});
	let (primes, primes_cpu) = cpu(|| {
		(0..n)
			.map(|_| Some(PregeneratedPrimes::<SecurityLevel128>::generate(&mut OsRng)))
			.collect::<Vec<_>>()
	});
	let mut primes = primes;
	let (aux, aux_cpu) = cpu(|| {
		round_based::sim::run(n, |i, party| {
			let primes = primes[usize::from(i)].take().expect("one pair per party");
			async move {
				cggmp21::aux_info_gen(ExecutionId::new(b"study-aux"), i, n, primes)
					.start(&mut OsRng, party)
					.await
			}
		})
		.expect("simulation")
		.expect_ok()
		.into_vec()
	});
	let shares = cores
		.into_iter()
		.zip(aux)
		.map(|parts| KeyShare::from_parts(parts).expect("consistent share"))
		.collect();
	(shares, [keygen, primes_cpu / u32::from(n), aux_cpu])
}

/// One presignature per signer (`signers` are 0-based keygen indexes).
fn presign(shares: &[KeyShare<E>], signers: &[u16], run: usize) -> Vec<Presignature<E>> {
	let eid = format!("study-presign-{run}").into_bytes();
	round_based::sim::run(signers.len() as u16, |j, party| {
		let (eid, share) = (eid.clone(), &shares[usize::from(signers[usize::from(j)])]);
		async move {
			cggmp21::signing(ExecutionId::new(&eid), j, signers, share)
				.generate_presignature(&mut OsRng, party)
				.await
		}
	})
	.expect("simulation")
	.expect_ok()
	.into_vec()
}

/// The re-randomisation factor δ = H(R ‖ hash ‖ ε) (never zero in practice).
fn rerandomiser(r_point: &NonZero<Point<E>>, hash: &[u8; 32], eps: &[u8; 32]) -> Scalar<E> {
	let digest = Sha256::new()
		.chain_update(b"QSign/study/presignature-rerandomisation")
		.chain_update(r_point.to_bytes(true))
		.chain_update(hash)
		.chain_update(eps)
		.finalize();
	Scalar::from_be_bytes_mod_order(digest)
}

/// The online step: every signer moves its presignature to the derived key `root + ε·G`
/// (χ += ε·k, what cggmp21's own `set_derivation_path` does), optionally re-randomises it
/// (R' = δ·R, k' = k/δ, χ' = χ/δ), issues its partial signature on `hash`, and the partials
/// are combined. Returns `r ‖ s` (low-s).
fn online(
	presignatures: Vec<Presignature<E>>,
	eps: &[u8; 32],
	hash: &[u8; 32],
	rerandomise: bool,
) -> [u8; 64] {
	let epsilon = Scalar::<E>::from_be_bytes(eps).expect("ε < n");
	let message = DataToSign::from_scalar(Scalar::from_be_bytes_mod_order(hash));
	let partials: Vec<PartialSignature<E>> = presignatures
		.into_iter()
		.map(|p| {
			let (r_point, mut k, mut chi) = (p.R, *p.k.as_ref(), *p.chi.as_ref());
			let r_point = if rerandomise {
				let delta = rerandomiser(&r_point, hash, eps);
				let inverse = delta.invert().expect("δ ≠ 0");
				k *= inverse;
				chi *= inverse;
				NonZero::from_point(r_point.into_inner() * delta).expect("δ ≠ 0")
			} else {
				r_point
			};
			chi += epsilon * k;
			Presignature {
				R: r_point,
				k: SecretScalar::new(&mut k),
				chi: SecretScalar::new(&mut chi),
			}
			.issue_partial_signature(message)
		})
		.collect();
	let signature = PartialSignature::combine(&partials).expect("non-zero r and s");
	let mut out = [0u8; 64];
	signature.write_to_slice(&mut out);
	out
}

/// The chain's check (`verify_signature`, as pallet-qsign runs it), trying both recovery ids.
fn chain_accepts(hash: &[u8; 32], rs: &[u8; 64], key: &[u8; 33]) -> bool {
	(0..2u8).any(|v| {
		let mut signature = [0u8; 65];
		signature[..64].copy_from_slice(rs);
		signature[64] = v;
		verify_signature(hash, &signature, key).is_ok()
	})
}

/// Our engine: a 2-of-3 DKG, then full signing on derived keys.
fn dkls23_setup() -> (Vec<qsign_mpc::KeyShare>, Duration) {
	cpu(|| {
		let mut sessions: Vec<_> = (1..=3)
			.map(|me| {
				Dkls23::start_dkg(&DkgConfig {
					session_id: SessionId([0xD5; 32]),
					threshold: 2,
					parties: 3,
					me: party(me),
				})
				.expect("valid config")
			})
			.collect();
		qsign_mpc::local::run_in_turn(&mut sessions).expect("honest run")
	})
}

fn dkls23_sign(shares: &[qsign_mpc::KeyShare], run: usize) {
	let mut id = [0x55; 32];
	id[..8].copy_from_slice(&(run as u64).to_be_bytes());
	let request = SignRequest {
		session_id: SessionId(id),
		signers: vec![party(1), party(3)],
		epsilon: epsilon(b"study", format!("run {run}").as_bytes()),
		message_hash: [run as u8; 32],
	};
	let mut sessions: Vec<_> = [0, 2]
		.iter()
		.map(|&i| Dkls23::start_sign(&shares[i], &request).expect("valid request"))
		.collect();
	black_box(qsign_mpc::local::run_in_turn(&mut sessions).expect("honest run"));
}

fn main() {
	let runs = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
		None => 10,
		Some(Ok(n)) if n > 0 => n,
		Some(_) => {
			eprintln!("usage: qsign-presignature-study [RUNS]   (RUNS ≥ 1, default 10)");
			std::process::exit(2);
		}
	};
	println!("qsign-presignature-study: 2-of-3 on secp256k1, all parties on one thread, CPU time summed over parties\n");

	println!("one-off setup");
	let (dkls_shares, dkls_dkg) = dkls23_setup();
	println!("  qsign-mpc (dkls23 0.6.2) DKG, 5 rounds          {:>10.1} ms", ms(dkls_dkg));
	let (shares, [keygen, primes, aux]) = cggmp21_setup(2, 3);
	println!("  cggmp21 0.6.3 key generation                     {:>10.1} ms", ms(keygen));
	println!("  cggmp21 Paillier primes, per party               {:>10.1} ms", ms(primes));
	println!("  cggmp21 auxiliary-info generation, all parties   {:>10.1} ms", ms(aux));

	let k256_key = {
		let bytes = epsilon(b"study", b"single key");
		k256_signing_key(&bytes)
	};
	let (mut ours, mut pre, mut on, mut single) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
	for run in 0..runs {
		ours.push(cpu(|| dkls23_sign(&dkls_shares, run)).1);
		let (presignatures, presign_cpu) = cpu(|| presign(&shares, &[0, 2], run));
		pre.push(presign_cpu);
		let eps = epsilon(b"study", format!("run {run}").as_bytes());
		let hash: [u8; 32] = Sha256::digest(run.to_be_bytes()).into();
		let (rs, online_cpu) = cpu(|| online(presignatures, &eps, &hash, true));
		on.push(online_cpu);
		let key = derive_public_key(&root_key(&shares), &eps).expect("valid ε");
		assert!(chain_accepts(&hash, &rs, &key), "presigned signature must verify");
		single.push(cpu(|| black_box(k256_key.sign_prehash_recoverable(&hash))).1);
	}
	println!("\nper signature, medians of {runs} runs (interleaved)");
	let (ours, pre, on, single) = (median(ours), median(pre), median(on), median(single));
	println!("  qsign-mpc full signing (3 rounds, derived key)   {:>10.3} ms", ms(ours));
	println!(
		"  cggmp21 presignature (3 rounds, in background)   {:>10.3} ms   {:.0}× ours",
		ms(pre),
		ms(pre) / ms(ours)
	);
	println!("  cggmp21 online (1 round: shift, re-randomise)    {:>10.3} ms", ms(on));
	println!("  single-key k256 sign_prehash_recoverable         {:>10.3} ms", ms(single));

	println!("\nforgery with a raw presignature pool (one validator knows R, one requester)");
	let root = root_key(&shares);
	let (eps_attacker, eps_victim) =
		(epsilon(b"attacker", b"wallet"), epsilon(b"victim", b"treasury"));
	let victim_key = derive_public_key(&root, &eps_victim).expect("valid ε");
	let victim_hash: [u8; 32] =
		Sha256::digest(b"victim treasury: send everything to the attacker").into();
	for rerandomise in [false, true] {
		let presignatures = presign(&shares, &[1, 2], runs + usize::from(rerandomise));
		// Known to every validator holding the presignature, before the request is made.
		let r = presignatures[0].R.x().to_scalar();
		let (a, v) = (
			Scalar::<E>::from_be_bytes(eps_attacker).expect("ε < n"),
			Scalar::<E>::from_be_bytes(eps_victim).expect("ε < n"),
		);
		let request: [u8; 32] = (Scalar::<E>::from_be_bytes_mod_order(victim_hash) + r * (v - a))
			.to_be_bytes()
			.as_bytes()
			.try_into()
			.expect("32 bytes");
		// The pool signs the requester's raw hash under the requester's own key, as asked.
		let rs = online(presignatures, &eps_attacker, &request, rerandomise);
		let attacker_key = derive_public_key(&root, &eps_attacker).expect("valid ε");
		println!(
			"  {:<13}  answer valid for the request: {}; valid on the victim's message under the victim's key: {}",
			if rerandomise { "re-randomised" } else { "raw" },
			chain_accepts(&request, &rs, &attacker_key),
			chain_accepts(&victim_hash, &rs, &victim_key),
		);
	}
}

/// A plain k256 key for the single-key row (the bytes are any valid scalar).
fn k256_signing_key(bytes: &[u8; 32]) -> k256::ecdsa::SigningKey {
	k256::ecdsa::SigningKey::from_bytes(bytes.into()).expect("valid scalar")
}
