//! Benchmarks of pallet-qsign (frame-benchmarking v2), worst case for every call and hook.
//!
//! Signatures come from the benchmark keystore: an ECDSA key generated there stands in for a
//! derived key (its public key is written into the key record), and the committee's `qmpc`
//! keys are generated there too and installed through [`Config::Committee`]'s benchmark
//! helpers. The benchmarks of `submit_root_key` are pallet-committee's.

use super::*;
use crate::Pallet as QSign;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{fungible::Mutate as _, Authorize, Hooks},
};
use frame_system::RawOrigin;
use sp_runtime::{traits::Bounded, KeyTypeId};

/// Keystore key type of the stand-in derived keys.
const BENCH_KEY: KeyTypeId = KeyTypeId(*b"qbch");

/// An account with plenty of funds.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
	who
}

/// A committee of `MaxAuthorities` members whose keys are in the keystore.
fn install_committee<T: Config>() -> Vec<crypto::AuthorityId> {
	let keys: Vec<_> = (0..T::MaxAuthorities::get())
		.map(|_| <crypto::AuthorityId as RuntimeAppPublic>::generate_pair(None))
		.collect();
	T::Committee::set_committee(keys.clone());
	keys
}

/// A fresh ECDSA key in the keystore.
fn keystore_key() -> PublicKey {
	sp_io::crypto::ecdsa_generate(BENCH_KEY, None).0
}

/// Signs `hash` with the keystore key `public`.
fn keystore_sign(public: &PublicKey, hash: &MessageHash) -> Signature {
	let public = sp_core::ecdsa::Public::from_raw(*public);
	sp_io::crypto::ecdsa_sign_prehashed(BENCH_KEY, &public, hash)
		.expect("the key is in the keystore")
		.0
}

/// A key of `owner` whose public key is the keystore key `public_key`.
fn insert_key<T: Config>(owner: &T::AccountId, public_key: PublicKey) -> KeyId {
	let key_id = NextKeyId::<T>::get();
	NextKeyId::<T>::put(key_id + 1);
	Keys::<T>::insert(
		key_id,
		KeyRecord::<T> {
			owner: owner.clone(),
			path: Default::default(),
			epsilon: [0; 32],
			public_key,
			deposit: Zero::zero(),
			created_at: Zero::zero(),
		},
	);
	key_id
}

/// An unsigned EIP-1559 transaction for chain 1 of at most (and close to) `len` bytes, its
/// `data` field filling what the other fields leave.
fn eip1559_tx(len: u32) -> Vec<u8> {
	let len = len as usize;
	let mut data_len = len.saturating_sub(40);
	loop {
		let mut stream = rlp::RlpStream::new_list(9);
		// Gas 30,000,000: above the intrinsic gas of the longest data (16 per byte).
		stream.append(&1u64).append(&0u64).append(&1u64).append(&1u64).append(&30_000_000u64);
		stream.append(&[0x11u8; 20].as_slice()).append(&0u64);
		stream.append(&vec![0x22u8; data_len]);
		stream.begin_list(0);
		let mut out = vec![evm_tx::EIP1559_TYPE];
		out.extend_from_slice(&stream.out());
		if out.len() <= len || data_len == 0 {
			return out;
		}
		data_len -= (out.len() - len).min(data_len);
	}
}

/// A pending broadcast request of `owner` with the longest transaction, signed by `public`.
fn pending_broadcast<T: Config>(owner: &T::AccountId, public: PublicKey) -> RequestId {
	let key_id = insert_key::<T>(owner, public);
	let tx: UnsignedTxOf<T> = eip1559_tx(T::MaxTxLen::get()).try_into().expect("fits");
	let request_id = NextRequestId::<T>::get();
	QSign::<T>::request_broadcast(
		RawOrigin::Signed(owner.clone()).into(),
		key_id,
		1,
		tx,
		None,
		Some([1; 32]),
	)
	.expect("valid request");
	request_id
}

/// A pending signature request of `owner` with key `public`.
fn pending_signature<T: Config>(owner: &T::AccountId, public: PublicKey) -> RequestId {
	let key_id = insert_key::<T>(owner, public);
	let request_id = NextRequestId::<T>::get();
	let payloads: PayloadsOf<T> = vec![Payload::Hash([7; 32])].try_into().expect("MaxBatch ≥ 1");
	QSign::<T>::request_signature(
		RawOrigin::Signed(owner.clone()).into(),
		key_id,
		payloads,
		None,
		None,
	)
	.expect("valid request");
	request_id
}

/// A failure vote of committee member `index`, signed with its keystore key.
fn signed_vote<T: Config>(
	authorities: &[crypto::AuthorityId],
	index: u32,
	request_id: RequestId,
) -> (FailureVote, crypto::AuthoritySignature) {
	let vote = FailureVote {
		committee_id: T::Committee::committee_id(),
		request_id,
		authority_index: index,
		reason: FailureReason::SigningAborted,
	};
	let signature = authorities[index as usize].sign(&vote.signing_payload()).expect("in keystore");
	(vote, signature)
}

/// Stores a request (status `status`) expiring at `expires_at`, with a held deposit, a
/// transaction and an idempotency key: the most a request can leave behind.
fn insert_request<T: Config>(
	owner: &T::AccountId,
	expires_at: BlockNumberFor<T>,
	status: RequestStatus,
) -> RequestId {
	let request_id = NextRequestId::<T>::get();
	NextRequestId::<T>::put(request_id + 1);
	let deposit = T::RequestDeposit::get();
	if !deposit.is_zero() {
		T::Currency::hold(&HoldReason::RequestDeposit.into(), owner, deposit).expect("funded");
	}
	let idempotency_key = sp_io::hashing::blake2_256(&request_id.encode());
	Requests::<T>::insert(
		request_id,
		RequestRecord::<T> {
			owner: owner.clone(),
			key_id: 0,
			kind: RequestKind::EvmTransaction { chain_id: 1, tx_type: EvmTxType::Eip1559 },
			message_hash: [0; 32],
			status,
			deposit,
			created_at: Zero::zero(),
			expires_at,
			idempotency_key: Some(idempotency_key),
		},
	);
	IdempotencyKeys::<T>::insert(
		owner,
		idempotency_key,
		IdempotencyRecord::<T> {
			request_ids: vec![request_id].try_into().expect("MaxBatch ≥ 1"),
			params_hash: [0; 32],
		},
	);
	let unsigned: UnsignedTxOf<T> = eip1559_tx(T::MaxTxLen::get()).try_into().expect("fits");
	EvmTransactions::<T>::insert(request_id, EvmTxRecord::<T> { unsigned, signed: None });
	if status.is_pending() {
		PendingRequests::<T>::insert(request_id, ());
	}
	ExpiryQueue::<T>::mutate(expires_at, |bucket| bucket.try_push(request_id).expect("bounded"));
	request_id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn request_key() {
		T::Committee::set_root_key(keystore_key());
		let caller = funded::<T>("caller", 0);
		let path: PathOf<T> =
			vec![0x61; T::MaxPathLen::get() as usize].try_into().expect("exact bound");

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), path.clone());

		assert!(KeyIds::<T>::contains_key(&caller, &path));
	}

	#[benchmark]
	fn request_signature(
		b: Linear<1, { T::MaxBatch::get() }>,
		l: Linear<0, { T::MaxDataLen::get() }>,
	) {
		let caller = funded::<T>("caller", 0);
		let key_id = insert_key::<T>(&caller, keystore_key());
		let payloads: PayloadsOf<T> = (0..b)
			.map(|_| Payload::Data {
				data: vec![0x33; l as usize].try_into().expect("l ≤ MaxDataLen"),
				hasher: Hasher::Sha256,
			})
			.collect::<Vec<_>>()
			.try_into()
			.expect("b ≤ MaxBatch");

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), key_id, payloads, None, Some([9; 32]));

		assert_eq!(PendingRequests::<T>::count(), b);
	}

	#[benchmark]
	fn request_broadcast(l: Linear<64, { T::MaxTxLen::get() }>) {
		let caller = funded::<T>("caller", 0);
		let key_id = insert_key::<T>(&caller, keystore_key());
		let tx: UnsignedTxOf<T> = eip1559_tx(l).try_into().expect("l ≤ MaxTxLen");

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), key_id, 1, tx, None, Some([9; 32]));

		assert_eq!(PendingRequests::<T>::count(), 1);
	}

	#[benchmark]
	fn report_broadcast() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let public = keystore_key();
		let request_id = pending_broadcast::<T>(&owner, public);
		let hash = Requests::<T>::get(request_id).ok_or("request")?.message_hash;
		QSign::<T>::submit_signature(
			RawOrigin::Authorized.into(),
			request_id,
			keystore_sign(&public, &hash),
		)?;
		let (_, tx_hash) =
			EvmTransactions::<T>::get(request_id).and_then(|tx| tx.signed).ok_or("signed")?;
		let relayer = funded::<T>("relayer", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(relayer), request_id, tx_hash, 1);

		assert!(matches!(
			Requests::<T>::get(request_id).map(|r| r.status),
			Some(RequestStatus::Broadcast { .. })
		));
		Ok(())
	}

	#[benchmark]
	fn submit_signature() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let public = keystore_key();
		let request_id = pending_broadcast::<T>(&owner, public);
		let hash = Requests::<T>::get(request_id).ok_or("request")?.message_hash;
		let signature = keystore_sign(&public, &hash);

		#[extrinsic_call]
		_(RawOrigin::Authorized, request_id, signature);

		assert!(EvmTransactions::<T>::get(request_id).and_then(|tx| tx.signed).is_some());
		Ok(())
	}

	#[benchmark]
	fn authorize_submit_signature() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let public = keystore_key();
		let request_id = pending_signature::<T>(&owner, public);
		let signature = keystore_sign(&public, &[7; 32]);
		let call = Call::<T>::submit_signature { request_id, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn report_failure() {
		let authorities = install_committee::<T>();
		let owner = funded::<T>("owner", 0);
		let request_id = pending_signature::<T>(&owner, keystore_key());
		let threshold = T::Committee::threshold();
		// All but one of the threshold voted already: this vote fails the request.
		for index in 0..threshold.saturating_sub(1) {
			let (vote, signature) = signed_vote::<T>(&authorities, index, request_id);
			QSign::<T>::report_failure(RawOrigin::Authorized.into(), vote, signature)
				.expect("valid vote");
		}
		let (vote, signature) = signed_vote::<T>(&authorities, threshold - 1, request_id);

		#[extrinsic_call]
		_(RawOrigin::Authorized, vote, signature);

		assert!(matches!(
			Requests::<T>::get(request_id).map(|r| r.status),
			Some(RequestStatus::Failed { .. })
		));
	}

	#[benchmark]
	fn authorize_report_failure() -> Result<(), BenchmarkError> {
		let authorities = install_committee::<T>();
		let owner = funded::<T>("owner", 0);
		let request_id = pending_signature::<T>(&owner, keystore_key());
		// The last member votes, so that the most votes are read.
		let last = T::MaxAuthorities::get() - 1;
		for index in 0..last.min(T::Committee::threshold().saturating_sub(1)) {
			let (vote, signature) = signed_vote::<T>(&authorities, index, request_id);
			QSign::<T>::report_failure(RawOrigin::Authorized.into(), vote, signature)
				.map_err(|_| "valid vote")?;
		}
		let (vote, signature) = signed_vote::<T>(&authorities, last, request_id);
		let call = Call::<T>::report_failure { vote, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn on_initialize(
		e: Linear<0, { T::MaxExpiriesPerBlock::get() }>,
		p: Linear<0, { T::MaxExpiriesPerBlock::get() }>,
	) {
		let owner = funded::<T>("owner", 0);
		let retention = T::ResultRetention::get();
		let now = retention.saturating_add(10u32.into());
		let old = now.saturating_sub(retention);
		// With a retention of zero both buckets are one; keep within its bound.
		let p = if retention.is_zero() { 0 } else { p };
		for _ in 0..p {
			insert_request::<T>(&owner, old, RequestStatus::Expired);
		}
		for _ in 0..e {
			insert_request::<T>(&owner, now, RequestStatus::Pending);
		}
		frame_system::Pallet::<T>::set_block_number(now);

		#[block]
		{
			QSign::<T>::on_initialize(now);
		}

		assert_eq!(PendingRequests::<T>::count(), 0);
	}

	impl_benchmark_test_suite!(QSign, crate::mock::new_bench_ext(), crate::mock::Test);
}
