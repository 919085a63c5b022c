//! Benchmarks of pallet-committee (frame-benchmarking v2), worst case for every call.
//!
//! The committee's `qmpc` keys are generated in the benchmark keystore, and so is an ECDSA key
//! that stands in for the DKG's root key (any valid point will do).

use super::*;
use crate::Pallet as Committee;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::TransactionSource, traits::Authorize};
use frame_system::RawOrigin;
use sp_runtime::KeyTypeId;

/// Keystore key type of the stand-in root key.
const BENCH_KEY: KeyTypeId = KeyTypeId(*b"qbch");

/// A committee of `MaxAuthorities` members whose keys are in the keystore.
fn install_committee<T: Config>() -> Vec<crypto::AuthorityId> {
	let keys: Vec<_> = (0..T::MaxAuthorities::get())
		.map(|_| <crypto::AuthorityId as RuntimeAppPublic>::generate_pair(None))
		.collect();
	Committee::<T>::set_committee(keys.clone(), true);
	keys
}

/// A fresh ECDSA key in the keystore: a valid SEC1 compressed point.
fn keystore_key() -> PublicKey {
	sp_io::crypto::ecdsa_generate(BENCH_KEY, None).0
}

/// A root key attestation of committee member `index`, signed with its keystore key.
fn signed_attestation<T: Config>(
	authorities: &[crypto::AuthorityId],
	index: u32,
	public_key: PublicKey,
) -> (RootKeyAttestation, crypto::AuthoritySignature) {
	let attestation = RootKeyAttestation {
		committee_id: CurrentCommitteeId::<T>::get(),
		authority_index: index,
		public_key,
	};
	let signature =
		authorities[index as usize].sign(&attestation.signing_payload()).expect("in keystore");
	(attestation, signature)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn submit_root_key() {
		let authorities = install_committee::<T>();
		let public_key = keystore_key();
		let threshold = Committee::<T>::threshold();
		// All but one of the threshold attested already: this attestation sets the key.
		for index in 0..threshold.saturating_sub(1) {
			let (attestation, signature) = signed_attestation::<T>(&authorities, index, public_key);
			Committee::<T>::submit_root_key(RawOrigin::Authorized.into(), attestation, signature)
				.expect("valid attestation");
		}
		let (attestation, signature) =
			signed_attestation::<T>(&authorities, threshold - 1, public_key);

		#[extrinsic_call]
		_(RawOrigin::Authorized, attestation, signature);

		assert_eq!(RootKey::<T>::get(), Some(public_key));
	}

	#[benchmark]
	fn authorize_submit_root_key() -> Result<(), BenchmarkError> {
		let authorities = install_committee::<T>();
		let (attestation, signature) = signed_attestation::<T>(&authorities, 0, keystore_key());
		let call = Call::<T>::submit_root_key { attestation, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	impl_benchmark_test_suite!(Committee, crate::mock::new_bench_ext(), crate::mock::Test);
}
