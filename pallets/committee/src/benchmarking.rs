//! Benchmarks of pallet-committee (frame-benchmarking v2), worst case for every call: a
//! committee of `MaxAuthorities` members handing over to `MaxAuthorities` members.
//!
//! The members' `qmpc` keys are generated in the benchmark keystore, and so is an ECDSA key that
//! stands in for the root key (it signs the proof of signing as the next committee would).

use super::*;
use crate::Pallet as Committee;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{Authorize, EnsureOrigin, Hooks},
};
use frame_system::RawOrigin;
use sp_runtime::KeyTypeId;

/// Keystore key type of the stand-in root key.
const BENCH_KEY: KeyTypeId = KeyTypeId(*b"qbch");

fn new_keys<T: Config>() -> Vec<crypto::AuthorityId> {
	(0..T::MaxAuthorities::get())
		.map(|_| <crypto::AuthorityId as RuntimeAppPublic>::generate_pair(None))
		.collect()
}

/// A live committee of `MaxAuthorities` members with a root key from the keystore, and a
/// pending handover to as many fresh members; returns the next members and the root key.
fn pending_handover<T: Config>() -> (Vec<crypto::AuthorityId>, PublicKey) {
	let root = sp_io::crypto::ecdsa_generate(BENCH_KEY, None).0;
	Authorities::<T>::put(AuthoritiesOf::<T>::truncate_from(new_keys::<T>()));
	CurrentCommitteeId::<T>::put(1);
	RootKey::<T>::put(root);
	let next = new_keys::<T>();
	Committee::<T>::start_handover(AuthoritiesOf::<T>::truncate_from(next.clone()));
	(next, root)
}

/// Next member `index`'s attestation of `key`, signed with its keystore key.
fn attestation<T: Config>(
	next: &[crypto::AuthorityId],
	index: u32,
	key: PublicKey,
) -> (HandoverAttestation, crypto::AuthoritySignature) {
	let handover = PendingHandover::<T>::get().expect("pending");
	let attestation = HandoverAttestation {
		genesis_hash: Committee::<T>::genesis_hash(),
		epoch: handover.epoch,
		attempt: handover.attempt,
		member_index: index,
		public_key: key,
	};
	let signature = next[index as usize].sign(&attestation.signing_payload()).expect("in keystore");
	(attestation, signature)
}

/// Every next member but the last attested (the last attestation is the measured one, or all
/// attested for the proof).
fn attest<T: Config>(next: &[crypto::AuthorityId], key: PublicKey, all: bool) {
	let count = if all { next.len() } else { next.len() - 1 };
	for index in 0..count as u32 {
		let (attestation, signature) = attestation::<T>(next, index, key);
		Committee::<T>::attest_handover(RawOrigin::Authorized.into(), attestation, signature)
			.expect("valid attestation");
	}
}

/// A report from a member that already reported every other member but one.
fn ban_report<T: Config>() -> (BanReport, crypto::AuthoritySignature) {
	let members = Authorities::<T>::get();
	let count = members.len() as u32;
	let others: Vec<u32> = (1..count.saturating_sub(1)).collect();
	BannedPairs::<T>::insert(0, BoundedVec::truncate_from(others));
	let report = BanReport {
		genesis_hash: Committee::<T>::genesis_hash(),
		epoch: CurrentCommitteeId::<T>::get(),
		reporter_index: 0,
		culprit_index: count - 1,
		session_id: [7; 32],
		reason: BanReason::MultiplicationVerificationFailed,
	};
	let signature = members[0].sign(&report.signing_payload()).expect("in keystore");
	(report, signature)
}

/// Member 0's blame of the last member, with every other member already blamed by it (the
/// longest list to search and rewrite).
fn blame_report<T: Config>() -> (BlameReport, crypto::AuthoritySignature) {
	let members = Authorities::<T>::get();
	let count = members.len() as u32;
	let until = frame_system::Pallet::<T>::block_number() + T::BlameExclusion::get();
	let others: Vec<_> = (1..count.saturating_sub(1)).map(|m| (m, until)).collect();
	BlamedPairs::<T>::insert(0, BoundedVec::truncate_from(others));
	let report = BlameReport {
		genesis_hash: Committee::<T>::genesis_hash(),
		epoch: CurrentCommitteeId::<T>::get(),
		reporter_index: 0,
		blamed_index: count - 1,
		session_id: [7; 32],
		reason: Blame::Silent,
	};
	let signature = members[0].sign(&report.signing_payload()).expect("in keystore");
	(report, signature)
}

/// The last member's heartbeat, at the current block (a committee of `MaxAuthorities`, every
/// member with a recorded heartbeat: the longest list to read and write).
fn heartbeat_statement<T: Config>() -> (Heartbeat, crypto::AuthoritySignature) {
	let members = Authorities::<T>::get();
	let now = frame_system::Pallet::<T>::block_number()
		.saturating_add(T::HeartbeatInterval::get())
		.saturating_add(T::HeartbeatInterval::get());
	frame_system::Pallet::<T>::set_block_number(now);
	Heartbeats::<T>::put(BoundedVec::truncate_from(alloc::vec![1u32.into(); members.len()]));
	let heartbeat = Heartbeat {
		genesis_hash: Committee::<T>::genesis_hash(),
		epoch: CurrentCommitteeId::<T>::get(),
		member_index: members.len() as u32 - 1,
		block: now.try_into().unwrap_or(u32::MAX),
	};
	let signature =
		members[members.len() - 1].sign(&heartbeat.signing_payload()).expect("in keystore");
	(heartbeat, signature)
}

/// Evidence that the last member equivocated, with two messages of `bytes` bytes each; every
/// other member but one is already an offender (the longest list to search).
fn equivocation<T: Config>(bytes: u32) -> alloc::boxed::Box<evidence::EquivocationProof> {
	let members = Authorities::<T>::get();
	let count = members.len() as u32;
	Offenders::<T>::put(BoundedVec::truncate_from(
		(1..count.saturating_sub(1)).collect::<Vec<_>>(),
	));
	let offender = members[members.len() - 1].clone();
	let message = |fill: u8| {
		let mut body = alloc::vec![fill; bytes.max(evidence::MPC_HEADER_LEN as u32 + 1) as usize];
		body[..evidence::MPC_HEADER_LEN].fill(1);
		let statement = evidence::MessageStatement::new(
			Committee::<T>::genesis_hash(),
			CurrentCommitteeId::<T>::get(),
			&body,
		);
		evidence::SignedMessage {
			signature: offender.sign(&statement.signing_payload()).expect("in keystore"),
			body: BoundedVec::truncate_from(body),
		}
	};
	alloc::boxed::Box::new(evidence::EquivocationProof {
		genesis_hash: Committee::<T>::genesis_hash(),
		epoch: CurrentCommitteeId::<T>::get(),
		offender: offender.clone(),
		first: message(2),
		second: message(3),
	})
}

/// Evidence that a dealer of the pending handover's attempt dealt a wrong share, with
/// `threshold_of(MaxAuthorities)` Feldman points (the most the check interpolates) and the
/// dealing padded to about `bytes` bytes in all; every other current member but one is already
/// a handover offender (the longest list to search).
fn invalid_dealing<T: Config>(bytes: u32) -> alloc::boxed::Box<evidence::InvalidDealingProof> {
	let members = Authorities::<T>::get();
	let handover = PendingHandover::<T>::get().expect("pending");
	let dealer = handover.dealers[0] as usize;
	let others: Vec<crypto::AuthorityId> = members
		.iter()
		.enumerate()
		.filter(|(index, _)| *index != dealer)
		.skip(1)
		.map(|(_, member)| member.clone())
		.collect();
	HandoverOffenders::<T>::put(BoundedVec::truncate_from(others));
	let offender = members[dealer].clone();
	// The most points, and a receiver past them (interpolation, not a look-up): the worst case.
	let points = threshold_of(T::MaxAuthorities::get() as usize);
	let receiver = points as u16 + 1;
	let (dealing, fragment) =
		qsign_primitives::dealing::encode::example_wrong_dealing(points, receiver);
	// The running attempt's run: the attempt is retried too.
	let session = attempt_session_id(
		&Committee::<T>::genesis_hash(),
		handover.epoch,
		handover.attempt,
		false,
	);
	let message = |kind: u8, receiver: u16, payload: &[u8], len: usize| {
		let mut body = alloc::vec![evidence::MPC_WIRE_VERSION, evidence::PROTOCOL_RESHARE];
		body.extend_from_slice(&session);
		body.extend_from_slice(&[1, kind, 0, 1]);
		body.extend_from_slice(&receiver.to_be_bytes());
		body.extend_from_slice(payload);
		body.resize(body.len().max(len), 0);
		let statement =
			evidence::MessageStatement::new(Committee::<T>::genesis_hash(), handover.epoch, &body);
		evidence::SignedMessage {
			signature: offender.sign(&statement.signing_payload()).expect("in keystore"),
			body: BoundedVec::truncate_from(body),
		}
	};
	let fragment = message(1, receiver, &fragment, 0);
	let dealing = message(0, 0, &dealing, (bytes as usize).saturating_sub(fragment.body.len()));
	alloc::boxed::Box::new(evidence::InvalidDealingProof {
		genesis_hash: Committee::<T>::genesis_hash(),
		epoch: handover.epoch,
		offender,
		dealing,
		fragment,
	})
}

/// A pending genesis key generation of `MaxAuthorities` members, all but the last ready;
/// returns the last one's readiness statement.
fn genesis_ready<T: Config>() -> (GenesisReady, crypto::AuthoritySignature) {
	let members = new_keys::<T>();
	Authorities::<T>::put(AuthoritiesOf::<T>::truncate_from(members.clone()));
	RootKey::<T>::kill();
	Committee::<T>::start_handover(AuthoritiesOf::<T>::truncate_from(members.clone()));
	let last = members.len() as u32 - 1;
	GenesisReadyMembers::<T>::put(BoundedVec::truncate_from((0..last).collect::<Vec<u32>>()));
	let handover = PendingHandover::<T>::get().expect("pending");
	let ready = GenesisReady {
		genesis_hash: Committee::<T>::genesis_hash(),
		epoch: handover.epoch,
		attempt: handover.attempt,
		member_index: last,
	};
	let signature = members[last as usize].sign(&ready.signing_payload()).expect("in keystore");
	(ready, signature)
}

/// The proof of signing for the pending attempt, signed with the root key in the keystore.
fn proof<T: Config>(root: &PublicKey) -> (CommitteeId, u32, Signature) {
	let handover = PendingHandover::<T>::get().expect("pending");
	let hash = handover_proof_hash(
		&Committee::<T>::genesis_hash(),
		handover.epoch,
		handover.attempt,
		&handover.members,
	);
	let public = sp_core::ecdsa::Public::from_raw(*root);
	let signature =
		sp_io::crypto::ecdsa_sign_prehashed(BENCH_KEY, &public, &hash).expect("in keystore");
	let mut bytes = [0u8; 65];
	bytes.copy_from_slice(signature.as_ref());
	(handover.epoch, handover.attempt, bytes)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn attest_handover() {
		let (next, root) = pending_handover::<T>();
		attest::<T>(&next, root, false);
		let (attestation, signature) = attestation::<T>(&next, next.len() as u32 - 1, root);

		#[extrinsic_call]
		_(RawOrigin::Authorized, attestation, signature);

		let handover = PendingHandover::<T>::get().expect("pending");
		assert_eq!(handover.attestations.len(), next.len());
	}

	#[benchmark]
	fn authorize_attest_handover() -> Result<(), BenchmarkError> {
		let (next, root) = pending_handover::<T>();
		attest::<T>(&next, root, false);
		let (attestation, signature) = attestation::<T>(&next, next.len() as u32 - 1, root);
		let call = Call::<T>::attest_handover { attestation, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn prove_handover() {
		let (next, root) = pending_handover::<T>();
		attest::<T>(&next, root, true);
		let (epoch, attempt, signature) = proof::<T>(&root);

		#[extrinsic_call]
		_(RawOrigin::Authorized, epoch, attempt, signature);

		assert_eq!(CurrentCommitteeId::<T>::get(), epoch);
		assert_eq!(Authorities::<T>::get().into_inner(), next);
	}

	#[benchmark]
	fn authorize_prove_handover() -> Result<(), BenchmarkError> {
		let (next, root) = pending_handover::<T>();
		attest::<T>(&next, root, true);
		let (epoch, attempt, signature) = proof::<T>(&root);
		let call = Call::<T>::prove_handover { epoch, attempt, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn repair() -> Result<(), BenchmarkError> {
		let (_, _) = pending_handover::<T>();
		let origin =
			T::ManagerOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		// Every member that may lose its share while a threshold still deals.
		let members = Authorities::<T>::decode_len().unwrap_or(0) as u32;
		let lost: Vec<u32> = (0..members.saturating_sub(Committee::<T>::threshold())).collect();
		let lost = BoundedVec::truncate_from(lost);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, lost);

		let handover = PendingHandover::<T>::get().expect("pending");
		assert_eq!(handover.members, Authorities::<T>::get());
		Ok(())
	}

	#[benchmark]
	fn report_ban() {
		pending_handover::<T>();
		let (report, signature) = ban_report::<T>();

		#[extrinsic_call]
		_(RawOrigin::Authorized, report, signature);

		assert_eq!(BannedPairs::<T>::get(0).len(), Authorities::<T>::get().len() - 1);
	}

	#[benchmark]
	fn authorize_report_ban() -> Result<(), BenchmarkError> {
		pending_handover::<T>();
		let (report, signature) = ban_report::<T>();
		let call = Call::<T>::report_ban { report, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn report_equivocation(b: Linear<41, { evidence::MAX_MPC_MESSAGE_LEN }>) {
		pending_handover::<T>();
		let proof = equivocation::<T>(b);

		#[extrinsic_call]
		_(RawOrigin::Authorized, proof);

		assert_eq!(Offenders::<T>::get().len(), Authorities::<T>::get().len() - 1);
	}

	#[benchmark]
	fn authorize_report_equivocation(
		b: Linear<41, { evidence::MAX_MPC_MESSAGE_LEN }>,
	) -> Result<(), BenchmarkError> {
		pending_handover::<T>();
		let proof = equivocation::<T>(b);
		let call = Call::<T>::report_equivocation { proof };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn report_invalid_dealing(b: Linear<2_000, { evidence::MAX_MPC_MESSAGE_LEN }>) {
		pending_handover::<T>();
		let proof = invalid_dealing::<T>(b);
		let offender = proof.offender.clone();

		#[extrinsic_call]
		_(RawOrigin::Authorized, proof);

		assert!(HandoverOffenders::<T>::get().contains(&offender));
		assert_eq!(PendingHandover::<T>::get().expect("pending").attempt, 1, "retried");
	}

	#[benchmark]
	fn authorize_report_invalid_dealing(
		b: Linear<2_000, { evidence::MAX_MPC_MESSAGE_LEN }>,
	) -> Result<(), BenchmarkError> {
		pending_handover::<T>();
		let proof = invalid_dealing::<T>(b);
		let call = Call::<T>::report_invalid_dealing { proof };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn report_blame() {
		pending_handover::<T>();
		let (report, signature) = blame_report::<T>();

		#[extrinsic_call]
		_(RawOrigin::Authorized, report, signature);

		assert_eq!(BlamedPairs::<T>::get(0).len(), Authorities::<T>::get().len() - 1);
	}

	#[benchmark]
	fn authorize_report_blame() -> Result<(), BenchmarkError> {
		pending_handover::<T>();
		let (report, signature) = blame_report::<T>();
		let call = Call::<T>::report_blame { report, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn heartbeat() {
		pending_handover::<T>();
		let (statement, signature) = heartbeat_statement::<T>();
		let block = statement.block;

		#[extrinsic_call]
		_(RawOrigin::Authorized, statement, signature);

		let last: u32 =
			Heartbeats::<T>::get().last().copied().expect("recorded").try_into().unwrap_or(0);
		assert_eq!(last, block);
	}

	#[benchmark]
	fn authorize_heartbeat() -> Result<(), BenchmarkError> {
		pending_handover::<T>();
		let (statement, signature) = heartbeat_statement::<T>();
		let call = Call::<T>::heartbeat { heartbeat: statement, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn ready_for_genesis() {
		let (ready, signature) = genesis_ready::<T>();

		#[extrinsic_call]
		_(RawOrigin::Authorized, ready, signature);

		assert_eq!(GenesisReadyMembers::<T>::get().len(), Authorities::<T>::get().len());
	}

	#[benchmark]
	fn authorize_ready_for_genesis() -> Result<(), BenchmarkError> {
		let (ready, signature) = genesis_ready::<T>();
		let call = Call::<T>::ready_for_genesis { ready, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call is authorized")?
				.map_err(|_| "valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn retry_handover() {
		let (next, root) = pending_handover::<T>();
		attest::<T>(&next, root, false);
		let deadline =
			PendingHandover::<T>::get().expect("pending").started_at + T::HandoverTimeout::get();

		#[block]
		{
			Committee::<T>::on_initialize(deadline);
		}

		assert_eq!(PendingHandover::<T>::get().expect("pending").attempt, 1);
	}

	impl_benchmark_test_suite!(Committee, crate::mock::new_bench_ext(), crate::mock::Test);
}
