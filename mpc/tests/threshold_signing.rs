//! Key generation and signing with real parties: one thread per party, exchanging the
//! encoded messages over channels. No dealer, and no test ever reconstructs a secret key:
//! shares are checked through public data only (verification shares, signatures).

use std::sync::OnceLock;

use k256::{
	ecdsa::{signature::hazmat::PrehashVerifier, RecoveryId, VerifyingKey},
	elliptic_curve::sec1::ToSec1Point,
};
use qsign_mpc::{
	local::{run_threads, RunError},
	storage::{StorageError, StorageKey},
	DkgConfig, Dkls23, KeyShare, PartyIndex, SessionId, SignRequest, Signature, ThresholdEcdsa,
};
use qsign_primitives::{address, derivation, signature::verify_signature};

fn party(i: u16) -> PartyIndex {
	PartyIndex::new(i).unwrap()
}

/// Runs a `threshold`-of-`parties` key generation with every party on its own thread.
fn key_generation(threshold: u16, parties: u16, session: u8) -> Vec<KeyShare> {
	let sessions = (1..=parties)
		.map(|me| {
			let config = DkgConfig {
				session_id: SessionId([session; 32]),
				threshold,
				parties,
				me: party(me),
			};
			Dkls23::start_dkg(&config).unwrap()
		})
		.collect();
	run_threads(sessions, None)
		.into_iter()
		.map(|result| result.expect("honest key generation succeeds"))
		.collect()
}

fn two_of_three() -> &'static [KeyShare] {
	static SHARES: OnceLock<Vec<KeyShare>> = OnceLock::new();
	SHARES.get_or_init(|| key_generation(2, 3, 1))
}

fn three_of_five() -> &'static [KeyShare] {
	static SHARES: OnceLock<Vec<KeyShare>> = OnceLock::new();
	SHARES.get_or_init(|| key_generation(3, 5, 2))
}

/// Signs with the given signers (the other parties are offline: they run nothing).
fn sign(
	shares: &[KeyShare],
	signers: &[u16],
	session: [u8; 32],
	epsilon: [u8; 32],
	hash: [u8; 32],
) -> Vec<Result<Signature, RunError>> {
	let request = SignRequest {
		session_id: SessionId(session),
		signers: signers.iter().map(|&i| party(i)).collect(),
		epsilon,
		message_hash: hash,
	};
	let sessions = signers
		.iter()
		.map(|&i| Dkls23::start_sign(&shares[usize::from(i) - 1], &request).unwrap())
		.collect();
	run_threads(sessions, None)
}

/// Verifies `signature` independently with k256 (the version dkls23 uses), with our
/// no_std helper, and as Ethereum's `ecrecover` would (recovered address = expected).
fn assert_valid(signature: &Signature, hash: &[u8; 32], public_key: &[u8; 33]) {
	let key = VerifyingKey::from_sec1_bytes(public_key).unwrap();
	let parsed = k256::ecdsa::Signature::from_slice(&signature.to_bytes()[..64]).unwrap();
	key.verify_prehash(hash, &parsed).expect("k256 verifies the signature");
	assert!(parsed.normalize_s() == parsed, "s is low");
	let recovery_id = RecoveryId::from_byte(signature.recovery_id).expect("recovery id 0 or 1");
	let recovered = VerifyingKey::recover_from_prehash(hash, &parsed, recovery_id).unwrap();
	assert_eq!(recovered, key, "recovery id recovers the signing key");
	verify_signature(hash, &signature.to_bytes(), public_key).expect("qsign-primitives verifies");
	let recovered_point = recovered.to_sec1_point(true);
	let recovered_key: [u8; 33] = recovered_point.as_bytes().try_into().unwrap();
	assert_eq!(address::ethereum_address(&recovered_key), address::ethereum_address(public_key));
}

fn session(tag: u8, i: usize) -> [u8; 32] {
	let mut id = [tag; 32];
	id[..8].copy_from_slice(&(i as u64).to_be_bytes());
	id
}

#[test]
fn key_generation_gives_everyone_the_same_root_key_and_a_consistent_sharing() {
	for shares in [two_of_three(), three_of_five()] {
		let root = shares[0].public_key();
		for (i, share) in shares.iter().enumerate() {
			assert_eq!(share.public_key(), root);
			assert_eq!(share.me(), party(i as u16 + 1));
			assert_eq!(share.verification_share(party(1)), shares[0].verification_share(party(1)));
		}
		// Any `t` verification shares interpolate (in the exponent) to the root key: the
		// shares form a degree t−1 sharing of the root secret, checked without the secret.
		let t = usize::from(shares[0].threshold());
		let n = shares.len() as u16;
		let subsets: Vec<Vec<u16>> = match (t, n) {
			(2, 3) => vec![vec![1, 2], vec![1, 3], vec![2, 3]],
			_ => vec![vec![1, 2, 3], vec![1, 3, 5], vec![2, 4, 5], vec![3, 4, 5]],
		};
		for subset in subsets {
			let mut sum = k256::ProjectivePoint::IDENTITY;
			for &j in &subset {
				let mut lambda = k256::Scalar::ONE;
				for &m in subset.iter().filter(|&&m| m != j) {
					let (m_s, j_s) =
						(k256::Scalar::from(u64::from(m)), k256::Scalar::from(u64::from(j)));
					lambda *= m_s * (m_s - j_s).invert().unwrap();
				}
				let share_point = k256::PublicKey::from_sec1_bytes(
					&shares[0].verification_share(party(j)).unwrap(),
				)
				.unwrap();
				sum += share_point.to_projective() * lambda;
			}
			let interpolated = k256::PublicKey::from_affine(sum.to_affine()).unwrap();
			assert_eq!(interpolated.to_sec1_point(true).as_bytes(), &root[..], "subset {subset:?}");
		}
	}
}

#[test]
fn two_of_three_signs_under_many_derived_keys_with_every_signer_pair() {
	let shares = two_of_three();
	let pairs = [[1, 2], [1, 3], [2, 3]];
	for i in 0..12 {
		let owner = [i as u8; 32];
		let path = format!("chain-{},account-{}", i % 3, i);
		let epsilon = derivation::epsilon(&owner, path.as_bytes());
		let public_key =
			derivation::derive_child_public_key(&shares[0].public_key(), &owner, path.as_bytes())
				.unwrap();
		let hash = address::keccak256(format!("message {i}").as_bytes());
		let results = sign(shares, &pairs[i % 3], session(0xA0, i), epsilon, hash);
		let signatures: Vec<Signature> = results.into_iter().map(|r| r.unwrap()).collect();
		for signature in &signatures {
			assert_eq!(signature, &signatures[0], "all signers output the same signature");
			assert_valid(signature, &hash, &public_key);
		}
	}
}

#[test]
fn three_of_five_signs_under_many_derived_keys() {
	let shares = three_of_five();
	let signer_sets = [[1, 2, 3], [3, 4, 5], [1, 3, 5], [2, 4, 5]];
	for i in 0..8 {
		let owner = [0x30 + i as u8; 32];
		let path = format!("bitcoin,{i}");
		let epsilon = derivation::epsilon(&owner, path.as_bytes());
		let public_key =
			derivation::derive_child_public_key(&shares[0].public_key(), &owner, path.as_bytes())
				.unwrap();
		let hash = [i as u8 + 1; 32];
		for result in sign(shares, &signer_sets[i % 4], session(0xB0, i), epsilon, hash) {
			assert_valid(&result.unwrap(), &hash, &public_key);
		}
	}
}

#[test]
fn a_signature_under_one_derived_key_does_not_verify_under_another() {
	let shares = two_of_three();
	let root = shares[0].public_key();
	let epsilon = derivation::epsilon(&[1; 32], b"a");
	let hash = [9; 32];
	let signature = sign(shares, &[1, 2], session(0xC0, 0), epsilon, hash).remove(0).unwrap();
	let own_key = derivation::derive_public_key(&root, &epsilon).unwrap();
	let other_key = derivation::derive_child_public_key(&root, &[1; 32], b"b").unwrap();
	assert_valid(&signature, &hash, &own_key);
	assert!(verify_signature(&hash, &signature.to_bytes(), &other_key).is_err());
	assert!(verify_signature(&hash, &signature.to_bytes(), &root).is_err());
}

#[test]
fn one_party_offline_does_not_stop_signing() {
	// 3-of-5 with party 2 offline (and, separately, party 5): three others still sign.
	let shares = three_of_five();
	for (signers, i) in [([1, 3, 4], 0), ([1, 2, 3], 1)] {
		let epsilon = derivation::epsilon(&[7; 32], b"offline");
		let hash = [0x77; 32];
		let key = shares[0].derived_public_key(&epsilon).unwrap();
		for result in sign(shares, &signers, session(0xD0, i), epsilon, hash) {
			assert_valid(&result.unwrap(), &hash, &key);
		}
	}
	// 2-of-3 with party 1 offline.
	let shares = two_of_three();
	let epsilon = derivation::epsilon(&[8; 32], b"offline");
	let key = shares[1].derived_public_key(&epsilon).unwrap();
	for result in sign(shares, &[2, 3], session(0xD0, 9), epsilon, [0x78; 32]) {
		assert_valid(&result.unwrap(), &[0x78; 32], &key);
	}
}

#[test]
fn the_root_key_signs_with_a_zero_epsilon() {
	let shares = two_of_three();
	let hash = [0x55; 32];
	let signature = sign(shares, &[1, 3], session(0xE0, 0), [0; 32], hash).remove(0).unwrap();
	assert_valid(&signature, &hash, &shares[0].public_key());
}

#[test]
fn a_stored_share_reopens_and_still_signs() {
	let shares = two_of_three();
	let key = StorageKey::new([0x24; 32]);
	let file = shares[0].seal(&key).unwrap();

	assert_eq!(
		KeyShare::open(&file, &StorageKey::new([0x25; 32])).unwrap_err(),
		StorageError::WrongKey
	);
	let mut corrupted = file.clone();
	corrupted[file.len() / 2] ^= 0x10;
	assert_eq!(KeyShare::open(&corrupted, &key).unwrap_err(), StorageError::Corrupted);

	let reopened = KeyShare::open(&file, &key).unwrap();
	assert_eq!(reopened.public_key(), shares[0].public_key());
	assert_eq!(&*Dkls23::share_to_bytes(&reopened), &*shares[0].to_bytes());
	let restored = [reopened, shares[1].clone(), shares[2].clone()];
	let epsilon = derivation::epsilon(&[3; 32], b"after restart");
	let hash = [0x33; 32];
	let public_key = restored[0].derived_public_key(&epsilon).unwrap();
	for result in sign(&restored, &[1, 2], session(0xF0, 0), epsilon, hash) {
		assert_valid(&result.unwrap(), &hash, &public_key);
	}
}

#[test]
fn a_share_of_another_scheme_or_a_damaged_share_is_refused() {
	let bytes = two_of_three()[0].to_bytes();
	assert!(KeyShare::from_bytes(&bytes[..bytes.len() - 1]).is_err());
	assert!(KeyShare::from_bytes(&[bytes.as_slice(), &[0]].concat()).is_err());
	let mut other_scheme = bytes.to_vec();
	other_scheme[1] ^= 0x20; // first letter of the scheme name
	assert!(KeyShare::from_bytes(&other_scheme).is_err());
}
