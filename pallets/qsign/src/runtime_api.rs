//! The runtime APIs the node's MPC worker and the RPC use.
//!
//! The runtime implements [`QSignApi`] by calling pallet-committee's `Pallet::committee` (or
//! [`CommitteeInterface::committee`](crate::CommitteeInterface::committee)),
//! [`Pallet::pending_requests`](crate::Pallet::pending_requests),
//! [`Pallet::request_info`](crate::Pallet::request_info) and
//! [`Pallet::key_info`](crate::Pallet::key_info), and [`QSignCommitteeApi`] by wrapping a
//! [`CommitteeCall`] ([`CommitteeCall::into_runtime_call`]) into an authorized general
//! transaction the node submits to its pool.

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode};
use qsign_primitives::{
	committee::HandoverAttestation,
	request::{
		CommitteeId, CommitteeInfo, FailureVote, KeyId, KeyInfo, PendingRequest, RequestId,
		RequestInfo, Signature,
	},
};
use scale_info::TypeInfo;

/// A result the committee puts on-chain: one of the authorized calls of pallet-qsign
/// (signatures, failure votes) or pallet-committee (handover attestations and proofs).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum CommitteeCall {
	/// [`Pallet::submit_signature`](crate::Pallet::submit_signature).
	SubmitSignature {
		/// The request signed.
		request_id: RequestId,
		/// `r ‖ s ‖ v`.
		signature: Signature,
	},
	/// pallet-committee's `Pallet::attest_handover`.
	AttestHandover {
		/// What the next member attests.
		attestation: HandoverAttestation,
		/// The member's `qmpc` signature over the attestation's signing payload.
		signature: crate::crypto::AuthoritySignature,
	},
	/// pallet-committee's `Pallet::prove_handover`.
	ProveHandover {
		/// The handover.
		epoch: CommitteeId,
		/// Its attempt.
		attempt: u32,
		/// The next committee's signature over the handover's proof hash, `r ‖ s ‖ v`.
		signature: Signature,
	},
	/// [`Pallet::report_failure`](crate::Pallet::report_failure).
	ReportFailure {
		/// The member's vote.
		vote: FailureVote,
		/// The member's `qmpc` signature over the vote's signing payload.
		signature: crate::crypto::AuthoritySignature,
	},
	/// pallet-committee's `Pallet::report_ban`.
	ReportBan {
		/// The ban the library asked for.
		report: qsign_primitives::committee::BanReport,
		/// The reporter's `qmpc` signature over the report's signing payload.
		signature: crate::crypto::AuthoritySignature,
	},
	/// pallet-committee's `Pallet::ready_for_genesis`.
	ReadyForGenesis {
		/// The member's statement that it is online for the genesis key generation's attempt.
		ready: qsign_primitives::committee::GenesisReady,
		/// The member's `qmpc` signature over the statement's signing payload.
		signature: crate::crypto::AuthoritySignature,
	},
	/// pallet-committee's `Pallet::report_blame`.
	ReportBlame {
		/// Who spoiled which run, and how.
		report: qsign_primitives::committee::BlameReport,
		/// The reporter's `qmpc` signature over the report's signing payload.
		signature: crate::crypto::AuthoritySignature,
	},
	/// pallet-committee's `Pallet::report_equivocation`.
	ReportEquivocation {
		/// Two messages the offender signed for one slot.
		proof: alloc::boxed::Box<pallet_committee::evidence::EquivocationProof>,
	},
	/// pallet-committee's `Pallet::heartbeat`.
	Heartbeat {
		/// The member's statement that it is up with its share.
		heartbeat: qsign_primitives::committee::Heartbeat,
		/// The member's `qmpc` signature over the statement's signing payload.
		signature: crate::crypto::AuthoritySignature,
	},
	/// pallet-committee's `Pallet::report_invalid_dealing`.
	ReportInvalidDealing {
		/// A dealer's signed Feldman points and its signed fragment that is not on them.
		proof: alloc::boxed::Box<pallet_committee::evidence::InvalidDealingProof>,
	},
}

impl CommitteeCall {
	/// The runtime call: pallet-qsign's [`Call`](crate::Call) for signatures and failure
	/// votes, pallet-committee's `Call` for handover attestations and proofs.
	pub fn into_runtime_call<T, RuntimeCall>(self) -> RuntimeCall
	where
		T: crate::Config + pallet_committee::Config,
		RuntimeCall: From<crate::Call<T>> + From<pallet_committee::Call<T>>,
	{
		match self {
			CommitteeCall::SubmitSignature { request_id, signature } => {
				crate::Call::<T>::submit_signature { request_id, signature }.into()
			}
			CommitteeCall::AttestHandover { attestation, signature } => {
				pallet_committee::Call::<T>::attest_handover { attestation, signature }.into()
			}
			CommitteeCall::ProveHandover { epoch, attempt, signature } => {
				pallet_committee::Call::<T>::prove_handover { epoch, attempt, signature }.into()
			}
			CommitteeCall::ReportBan { report, signature } => {
				pallet_committee::Call::<T>::report_ban { report, signature }.into()
			}
			CommitteeCall::ReadyForGenesis { ready, signature } => {
				pallet_committee::Call::<T>::ready_for_genesis { ready, signature }.into()
			}
			CommitteeCall::ReportBlame { report, signature } => {
				pallet_committee::Call::<T>::report_blame { report, signature }.into()
			}
			CommitteeCall::ReportEquivocation { proof } => {
				pallet_committee::Call::<T>::report_equivocation { proof }.into()
			}
			CommitteeCall::Heartbeat { heartbeat, signature } => {
				pallet_committee::Call::<T>::heartbeat { heartbeat, signature }.into()
			}
			CommitteeCall::ReportInvalidDealing { proof } => {
				pallet_committee::Call::<T>::report_invalid_dealing { proof }.into()
			}
			CommitteeCall::ReportFailure { vote, signature } => {
				crate::Call::<T>::report_failure { vote, signature }.into()
			}
		}
	}
}

sp_api::decl_runtime_apis! {
	/// Read access to pallet-qsign (and, for `committee`, to pallet-committee).
	pub trait QSignApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The signing committee: members (in `authority_index` order), threshold, root key.
		fn committee() -> CommitteeInfo<crate::crypto::AuthorityId>;

		/// Pending requests with an id greater than `after`, in id order, at most `limit`,
		/// each with the message hash, ε and derived public key the signers need.
		fn pending_requests(after: Option<RequestId>, limit: u32) -> Vec<PendingRequest<BlockNumber>>;

		/// A request and its status (until it is pruned).
		fn request_status(request_id: RequestId) -> Option<RequestInfo<AccountId, BlockNumber>>;

		/// A key.
		fn key_info(key_id: KeyId) -> Option<KeyInfo<AccountId, BlockNumber>>;
	}

	/// What the committee's MPC worker needs to put results on-chain (node-internal: the node
	/// and the runtime are built from one tree).
	pub trait QSignCommitteeApi {
		/// `call` as an authorized general transaction (no signer, no fee), ready for the
		/// transaction pool, which validates it with the pallets' `authorize` checks.
		fn committee_extrinsic(call: CommitteeCall) -> Block::Extrinsic;
	}
}
