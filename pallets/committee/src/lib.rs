//! # pallet-committee
//!
//! QSign's threshold-ECDSA committee: who its members are, how many of them must agree, the
//! root key every user key is derived from, and how the key passes from one committee to the
//! next. Split from pallet-qsign (which keeps keys, requests, broadcasts and failure votes) the
//! way Chainflip splits threshold signing from requests; pallet-qsign reads the committee
//! through [`CommitteeInterface`]. Design: `docs/design/committee-handover.md`.
//!
//! ## Overview
//!
//! * **Committee.** The pallet is a session handler ([`OneSessionHandler`]) with its own session
//!   key type `qmpc` ([`crypto::AuthorityId`], sr25519). The current committee (epoch id,
//!   members, threshold `n / 2 + 1`, root key) signs every request.
//! * **Handover.** When a new session's validators or their `qmpc` keys differ from the
//!   committee, a handover to them opens ([`PendingHandover`]); the current committee keeps
//!   signing meanwhile. `t` current members (the attempt's *dealers*,
//!   [`qsign_primitives::committee::dealer_positions`]) reshare the root key to the next
//!   members off-chain; **every** next member attests its share ([`Pallet::attest_handover`],
//!   signed by its `qmpc` key over the genesis hash, epoch, attempt and key); then the next
//!   committee proves that it can sign by signing
//!   [`qsign_primitives::committee::handover_proof_hash`] under the root key
//!   ([`Pallet::prove_handover`], verified here). In that block the next committee becomes the
//!   current one. An attempt not completed within [`Config::HandoverTimeout`] blocks is
//!   abandoned and retried with the next dealer rotation; the chain is never without a committee
//!   that can sign.
//! * **Genesis.** The genesis committee's key generation is the same handover with no dealers:
//!   the root key goes live only when every member of the committee that generated it attested
//!   the same key and that committee signed with it. Members that are online say so each
//!   attempt ([`Pallet::ready_for_genesis`]); an attempt that runs out of time is retried by the
//!   members that were ready, if they are at least the full set's threshold, so a member that
//!   is down at genesis does not block the chain. An attempt in which every member was ready
//!   and still no key came (one of them stalls) is retried without one of them, each in turn.
//!   Once the key is live, a handover to the full validator set ([`SessionMembers`]) gives the
//!   missing members their shares.
//! * **Repair.** [`Pallet::repair`] (governance) opens a handover to the current members, which
//!   re-randomises every share and gives a member that lost its disk a share again (the members
//!   it names as having lost their shares are never asked to deal).
//! * **Bans.** When the threshold-ECDSA library tells a member that another one cheated in a
//!   way that leaks its reusable OT state (dkls23's `BanCounterparty`), the member reports it
//!   ([`Pallet::report_ban`], signed by its `qmpc` key). From then on, until the committee's
//!   shares change, no signer set holds both of them ([`BannedPairs`]): a false report only
//!   costs the reporter its own pairing. Governance decides whether the culprit stays a
//!   validator (pallet-validator-set); the next handover then leaves it out.
//! * **Blame.** A member whose signing run timed out waiting for a co-signer, or whose run the
//!   protocol aborted naming one, reports it ([`Pallet::report_blame`], signed). The two then
//!   sign together in no run for [`Config::BlameExclusion`] blocks ([`BlamedPairs`]): the
//!   next attempt's signer set leaves a silent or disruptive member out without anyone having
//!   to prove anything, and a false report only costs the reporter its own pairing.
//! * **Liveness.** A member holding its share says so every [`Config::HeartbeatInterval`]
//!   blocks ([`Pallet::heartbeat`], signed); signer sets are chosen only among members whose
//!   last heartbeat is at most two intervals old ([`Pallet::live_members`]), so every member
//!   computes the same sets from the same block, whatever its network connections. A completed
//!   handover counts as a heartbeat of every new member (each attested its share).
//! * **Offences.** Every MPC message is signed by its sender's `qmpc` key
//!   ([`evidence::MessageStatement`]). Two signed messages of one member for the same protocol
//!   slot with different contents ([`evidence::EquivocationProof`]) prove that it equivocated;
//!   anyone may submit them ([`Pallet::report_equivocation`]). The offender is then in no signer
//!   set until the committee's shares change ([`Offenders`]), and [`Config::OnOffence`] hears
//!   of it (room for slashing once the chain has staking).
//!
//! ## Runtime requirements
//!
//! * `frame_system::AuthorizeCall<Runtime>` in the transaction extension pipeline (for the
//!   committee's attestations and proofs), and the pallet in `SessionKeys` (QSign's runtime
//!   names the field `qsign`).

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod evidence;
pub mod runtime_api;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use qsign_primitives::{
	committee::{BanReason, Blame, HandoverAttestation, HandoverInfo, Heartbeat},
	request::{CommitteeId, CommitteeInfo, PublicKey, Signature},
};
pub use weights::WeightInfo;

use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	traits::{Get, OneSessionHandler},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use qsign_primitives::committee::{
	dealer_positions, handover_proof_hash, BanReport, BlameReport, GenesisReady,
};
use sp_runtime::{
	traits::{Saturating, Zero},
	transaction_validity::InvalidTransaction,
	RuntimeAppPublic,
};

/// The committee's session key: sr25519 under key type `qmpc`.
pub mod crypto {
	use sp_application_crypto::{app_crypto, sr25519, KeyTypeId};

	/// Key type of the committee's session keys.
	pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"qmpc");

	app_crypto!(sr25519, KEY_TYPE);

	/// A committee member's public session key.
	pub type AuthorityId = Public;
	/// A committee member's signature (over attestations and failure votes).
	pub type AuthoritySignature = Signature;
	/// A committee member's key pair (native only).
	#[cfg(feature = "std")]
	pub type AuthorityPair = Pair;
}

/// Log target of this pallet.
const LOG_TARGET: &str = "runtime::committee";

/// The committee's members.
pub type AuthoritiesOf<T> = BoundedVec<crypto::AuthorityId, <T as Config>::MaxAuthorities>;

/// What other pallets (pallet-qsign) need to know about the committee.
pub trait CommitteeInterface<AuthorityId> {
	/// The root public key every key is derived from, once live.
	fn root_key() -> Option<PublicKey>;
	/// The current committee's id (its epoch).
	fn committee_id() -> CommitteeId;
	/// The current committee's member at `index` (its `authority_index`), if there is one.
	fn member(index: u32) -> Option<AuthorityId>;
	/// Members that must agree: `n / 2 + 1` for a committee of `n`.
	fn threshold() -> u32;
	/// The committee as the runtime API reports it.
	fn committee() -> CommitteeInfo<AuthorityId>;
	/// Installs `members` as a new committee (benchmarks of other pallets only).
	#[cfg(feature = "runtime-benchmarks")]
	fn set_committee(members: Vec<AuthorityId>);
	/// Sets the root key (benchmarks of other pallets only).
	#[cfg(feature = "runtime-benchmarks")]
	fn set_root_key(public_key: PublicKey);
}

/// Who hears of a proven offence (a slashing pallet, once the chain has staking).
pub trait OnOffence {
	/// `offender`, a member of committee `committee`, equivocated (proof verified).
	fn on_equivocation(committee: CommitteeId, offender: &crypto::AuthorityId);

	/// `offender` dealt a wrong share in the key generation or resharing that forms committee
	/// `epoch` (proof verified).
	fn on_invalid_dealing(epoch: CommitteeId, offender: &crypto::AuthorityId) {
		let _ = (epoch, offender);
	}
}

impl OnOffence for () {
	fn on_equivocation(_: CommitteeId, _: &crypto::AuthorityId) {}
}

/// The session id of the key generation (`genesis`) or resharing run of a handover attempt, as
/// every member's node computes it: BLAKE2-256 of the SCALE encoding of (`"qsign/dkg"` or
/// `"qsign/reshare"`, genesis hash, epoch, attempt).
pub fn attempt_session_id(
	genesis_hash: &[u8; 32],
	epoch: CommitteeId,
	attempt: u32,
	genesis: bool,
) -> [u8; 32] {
	if genesis {
		sp_io::hashing::blake2_256(&(b"qsign/dkg", genesis_hash, epoch, attempt).encode())
	} else {
		sp_io::hashing::blake2_256(&(b"qsign/reshare", genesis_hash, epoch, attempt).encode())
	}
}

/// Members that must agree in a committee of `members`: `members / 2 + 1`.
pub fn threshold_of(members: usize) -> u32 {
	u32::try_from(members / 2 + 1).unwrap_or(u32::MAX)
}

/// Whether `bytes` is a valid SEC1 compressed point on secp256k1.
fn is_valid_public_key(bytes: &PublicKey) -> bool {
	matches!(bytes[0], 0x02 | 0x03)
		&& qsign_primitives::derivation::uncompressed_public_key(bytes).is_ok()
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::{ensure_authorized, pallet_prelude::*};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Largest committee; members beyond it are ignored (with a warning).
		#[pallet::constant]
		type MaxAuthorities: Get<u32>;

		/// Priority of the committee's authorized transactions in the pool.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;

		/// Blocks a handover attempt may take before it is abandoned and retried.
		#[pallet::constant]
		type HandoverTimeout: Get<BlockNumberFor<Self>>;

		/// Who may order a repair (a handover to the same members).
		type ManagerOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who hears of proven offences ([`Pallet::report_equivocation`]).
		type OnOffence: OnOffence;

		/// Blocks during which a reporter and the member it blamed sign together in no run
		/// ([`Pallet::report_blame`]).
		#[pallet::constant]
		type BlameExclusion: Get<BlockNumberFor<Self>>;

		/// Blocks between a member's heartbeats ([`Pallet::heartbeat`]). A member is chosen to
		/// sign only while its last heartbeat is at most twice this old.
		#[pallet::constant]
		type HeartbeatInterval: Get<BlockNumberFor<Self>>;
	}

	/// A handover in progress.
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		TypeInfo,
		MaxEncodedLen,
	)]
	#[scale_info(skip_type_params(T))]
	pub struct HandoverRecord<T: Config> {
		/// The epoch the next committee will have.
		pub epoch: CommitteeId,
		/// The current attempt (0 first).
		pub attempt: u32,
		/// The next committee's members.
		pub members: AuthoritiesOf<T>,
		/// This attempt's dealers: positions in the current committee (empty for the genesis
		/// key generation).
		pub dealers: BoundedVec<u32, T::MaxAuthorities>,
		/// The block this attempt started in.
		pub started_at: BlockNumberFor<T>,
		/// Positions in the current committee that lost their shares (a repair names them):
		/// never dealers.
		pub cannot_deal: BoundedVec<u32, T::MaxAuthorities>,
		/// `(member index, key)` of every next member that attested this attempt.
		pub attestations: BoundedVec<(u32, PublicKey), T::MaxAuthorities>,
	}

	/// The current committee's members, in `authority_index` order.
	#[pallet::storage]
	pub type Authorities<T: Config> = StorageValue<_, AuthoritiesOf<T>, ValueQuery>;

	/// The current committee's id: the epoch of the handover that formed it (0 at genesis).
	#[pallet::storage]
	pub type CurrentCommitteeId<T: Config> = StorageValue<_, CommitteeId, ValueQuery>;

	/// The root public key every key is derived from, once live.
	#[pallet::storage]
	pub type RootKey<T: Config> = StorageValue<_, PublicKey, OptionQuery>;

	/// The handover in progress, if any.
	#[pallet::storage]
	pub type PendingHandover<T: Config> = StorageValue<_, HandoverRecord<T>, OptionQuery>;

	/// The epoch the next handover will take (epochs are never reused, so session ids that
	/// bind them never repeat).
	#[pallet::storage]
	pub type NextEpoch<T: Config> = StorageValue<_, CommitteeId, ValueQuery>;

	/// The validator set's `qmpc` keys as the last session announced them: what the committee
	/// is meant to be. After a genesis key generation run by fewer members (some were down),
	/// the pallet hands the key over to these.
	#[pallet::storage]
	pub type SessionMembers<T: Config> = StorageValue<_, AuthoritiesOf<T>, ValueQuery>;

	/// Positions (in the pending genesis key generation's member list) of the members that said
	/// they are online in its current attempt ([`Pallet::ready_for_genesis`]).
	#[pallet::storage]
	pub type GenesisReadyMembers<T: Config> =
		StorageValue<_, BoundedVec<u32, T::MaxAuthorities>, ValueQuery>;

	/// Bans reported in the current committee: reporter index → culprit indices. No signer set
	/// holds a reporter together with a culprit it reported. Cleared when the committee's
	/// shares change (a handover gives everyone fresh OT state).
	#[pallet::storage]
	pub type BannedPairs<T: Config> =
		StorageMap<_, Twox64Concat, u32, BoundedVec<u32, T::MaxAuthorities>, ValueQuery>;

	/// Blame reported in the current committee: reporter index → `(blamed index, last block of
	/// the exclusion)`. No signer set holds a reporter together with a member it blamed until
	/// then. Cleared when the committee changes (indices change with it).
	#[pallet::storage]
	pub type BlamedPairs<T: Config> = StorageMap<
		_,
		Twox64Concat,
		u32,
		BoundedVec<(u32, BlockNumberFor<T>), T::MaxAuthorities>,
		ValueQuery,
	>;

	/// Members of the current committee proven to have equivocated ([`Pallet::report_equivocation`]),
	/// by index: no signer set holds them. Cleared when the committee's shares change.
	#[pallet::storage]
	pub type Offenders<T: Config> = StorageValue<_, BoundedVec<u32, T::MaxAuthorities>, ValueQuery>;

	/// Members proven to have dealt a wrong share in the pending handover (or genesis key
	/// generation) ([`Pallet::report_invalid_dealing`]): they deal in no later attempt and are
	/// left out of the genesis key generation's members. Cleared when the handover completes.
	#[pallet::storage]
	pub type HandoverOffenders<T: Config> =
		StorageValue<_, BoundedVec<crypto::AuthorityId, T::MaxAuthorities>, ValueQuery>;

	/// The block of each current member's last heartbeat ([`Pallet::heartbeat`]), by member
	/// index (the block the member signed; a handover seeds every new member with its own
	/// block). Replaced when the committee changes.
	#[pallet::storage]
	pub type Heartbeats<T: Config> =
		StorageValue<_, BoundedVec<BlockNumberFor<T>, T::MaxAuthorities>, ValueQuery>;

	/// Events of the pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A handover to a new member list opened (the current committee keeps signing).
		HandoverStarted {
			/// The epoch the next committee will have.
			epoch: CommitteeId,
			/// Number of next members.
			members: u32,
			/// Their threshold.
			threshold: u32,
		},
		/// A next member attested its share.
		HandoverAttested {
			/// The handover.
			epoch: CommitteeId,
			/// The attempt.
			attempt: u32,
			/// The member's index in the next committee.
			member_index: u32,
			/// The key its share belongs to.
			public_key: PublicKey,
		},
		/// An attempt ran out of time; the next one starts with other dealers.
		HandoverRetried {
			/// The handover.
			epoch: CommitteeId,
			/// The new attempt.
			attempt: u32,
		},
		/// The genesis key generation's next attempt is run by the members that were online in
		/// the last one (the others get their shares from a handover once the key is live).
		GenesisMembersChanged {
			/// The key generation.
			epoch: CommitteeId,
			/// Its new attempt.
			attempt: u32,
			/// The members that run it.
			members: u32,
		},
		/// A genesis member said it is online for the current attempt.
		GenesisMemberReady {
			/// The key generation.
			epoch: CommitteeId,
			/// The attempt.
			attempt: u32,
			/// The member's position in the attempt's member list.
			member_index: u32,
		},
		/// The validator set went back to the current committee before the handover ended.
		HandoverCancelled {
			/// The abandoned handover.
			epoch: CommitteeId,
		},
		/// The next committee proved it can sign with the root key and took over.
		CommitteeChanged {
			/// The new committee's id.
			committee_id: CommitteeId,
			/// Number of members.
			members: u32,
			/// Members that must agree.
			threshold: u32,
		},
		/// A member reported that the threshold-ECDSA library told it to ban another member; no
		/// signer set holds both any more. Governance decides whether the culprit stays.
		MemberBanned {
			/// The committee.
			committee_id: CommitteeId,
			/// The reporting member's index.
			reporter: u32,
			/// The culprit's index.
			culprit: u32,
			/// The signing run in which the library gave the verdict.
			session_id: [u8; 32],
			/// The library's reason.
			reason: BanReason,
		},
		/// A member blamed a co-signer for spoiling a signing run; the two sign together in no
		/// run until block `until`.
		MemberBlamed {
			/// The committee.
			committee_id: CommitteeId,
			/// The reporting member's index.
			reporter: u32,
			/// The blamed member's index.
			blamed: u32,
			/// The run.
			session_id: [u8; 32],
			/// What the blamed member did.
			reason: Blame,
			/// Last block of the exclusion.
			until: BlockNumberFor<T>,
		},
		/// A member signed two different MPC messages for the same slot (the evidence was
		/// verified): it is in no signer set until the committee's shares change.
		OffenceReported {
			/// The committee.
			committee_id: CommitteeId,
			/// The offender's index.
			offender: u32,
			/// The run in which it equivocated.
			session_id: [u8; 32],
			/// The round.
			round: u8,
		},
		/// A member dealt a wrong share in the key generation or resharing of `epoch` (the
		/// evidence was verified): it deals in no later attempt of that handover (and a current
		/// member is in no signer set until the committee's shares change). The attempt it
		/// dealt in is retried at once.
		InvalidDealingReported {
			/// The handover's epoch.
			epoch: CommitteeId,
			/// The dealer's `qmpc` key.
			offender: crypto::AuthorityId,
			/// The run in which it dealt the wrong share.
			session_id: [u8; 32],
		},
		/// The genesis committee's key went live: every member attested it and the committee
		/// signed with it.
		RootKeySet {
			/// The committee that generated it.
			committee_id: CommitteeId,
			/// The root key.
			public_key: PublicKey,
		},
	}

	/// Errors of the pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// No handover is in progress.
		NoHandover,
		/// The attestation or proof is for another handover or attempt.
		WrongHandover,
		/// The attestation names another chain's genesis hash.
		WrongChain,
		/// No next-committee member has this index.
		InvalidAuthorityIndex,
		/// The member's signature over the attestation is invalid.
		InvalidCommitteeSignature,
		/// This member already attested this attempt.
		AlreadyAttested,
		/// The attested key is not a valid SEC1 compressed secp256k1 point.
		InvalidPublicKey,
		/// The attested key is not the chain's root key.
		NotTheRootKey,
		/// Not every next member attested the same key yet.
		NotAllAttested,
		/// The signature does not verify under the attested key.
		InvalidProof,
		/// A committee needs at least two members (threshold ECDSA).
		CommitteeTooSmall,
		/// Fewer than a threshold of members would be left to deal (a repair needs `t` members
		/// that still hold their shares).
		TooFewToDeal,
		/// The report names another committee than the current one.
		WrongCommittee,
		/// A member cannot report itself.
		SelfReport,
		/// This reporter already reported this culprit in this committee.
		AlreadyReported,
		/// The root key is live: there is no genesis key generation to be ready for.
		NotGenesis,
		/// This member already said it is ready in this attempt.
		AlreadyReady,
		/// The offender is not a member of the current committee.
		NotAMember,
		/// The evidence proves nothing: malformed, for different slots, the same message twice,
		/// or a signature that is not the offender's.
		InvalidEvidence,
		/// The heartbeat's block is in the future or more than one heartbeat interval old.
		StaleHeartbeat,
		/// The member's last heartbeat is less than half an interval older than this one.
		HeartbeatTooSoon,
		/// There is no root key yet: nothing to sign, no heartbeats.
		NoRootKey,
		/// The pending handover already has as many proven offenders as a committee has members.
		TooManyOffenders,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let Some(handover) = PendingHandover::<T>::get() else {
				return T::DbWeight::get().reads(1);
			};
			if now < handover.started_at.saturating_add(T::HandoverTimeout::get()) {
				return T::DbWeight::get().reads(1);
			}
			Self::retry(handover, now, false);
			T::WeightInfo::retry_handover()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// A next-committee member's attestation that it stored its share of the key.
		///
		/// An authorized transaction: valid only for the pending handover's current attempt,
		/// for this chain's genesis hash, signed by the member's `qmpc` key over
		/// [`HandoverAttestation::signing_payload`], once per member and attempt, for a valid
		/// point that is the root key (once there is one).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::attest_handover())]
		#[pallet::authorize(Pallet::<T>::authorize_attest_handover)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_attest_handover())]
		pub fn attest_handover(
			origin: OriginFor<T>,
			attestation: HandoverAttestation,
			signature: crypto::AuthoritySignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let mut handover = Self::check_attestation(&attestation, &signature)?;
			handover
				.attestations
				.try_push((attestation.member_index, attestation.public_key))
				.map_err(|_| Error::<T>::InvalidAuthorityIndex)?;
			PendingHandover::<T>::put(handover);
			Self::deposit_event(Event::HandoverAttested {
				epoch: attestation.epoch,
				attempt: attestation.attempt,
				member_index: attestation.member_index,
				public_key: attestation.public_key,
			});
			Ok(())
		}

		/// The next committee's proof that it can sign: its threshold signature over the
		/// handover's proof hash, under the key every next member attested. Switches to the
		/// next committee.
		///
		/// An authorized transaction: anyone may submit it, the signature is the proof.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::prove_handover())]
		#[pallet::authorize(Pallet::<T>::authorize_prove_handover)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_prove_handover())]
		pub fn prove_handover(
			origin: OriginFor<T>,
			epoch: CommitteeId,
			attempt: u32,
			signature: Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let (handover, public_key) = Self::check_proof(epoch, attempt, &signature)?;
			let members = handover.members.len() as u32;
			let formed = handover.members.clone();
			Authorities::<T>::put(handover.members);
			CurrentCommitteeId::<T>::put(epoch);
			PendingHandover::<T>::kill();
			// Fresh shares, fresh OT state: the old committee's bans and offenders are void.
			let _ = BannedPairs::<T>::clear(T::MaxAuthorities::get(), None);
			let _ = BlamedPairs::<T>::clear(T::MaxAuthorities::get(), None);
			Offenders::<T>::kill();
			HandoverOffenders::<T>::kill();
			// Every new member just attested that it stored its share: live from here on.
			let now = frame_system::Pallet::<T>::block_number();
			Heartbeats::<T>::put(BoundedVec::truncate_from(alloc::vec![now; members as usize]));
			if RootKey::<T>::get().is_none() {
				RootKey::<T>::put(public_key);
				GenesisReadyMembers::<T>::kill();
				Self::deposit_event(Event::RootKeySet { committee_id: epoch, public_key });
			}
			Self::deposit_event(Event::CommitteeChanged {
				committee_id: epoch,
				members,
				threshold: threshold_of(members as usize),
			});
			// A genesis key generated by fewer members than the validator set (some were down):
			// hand it over to the whole set, which gives the others their shares.
			let intended = SessionMembers::<T>::get();
			if !intended.is_empty() && intended != formed && intended.len() >= 2 {
				Self::start_handover(intended);
			}
			Ok(())
		}

		/// Governance: hand the key to the current members again. Every share is
		/// re-randomised, and a member that lost its share (a wiped disk) gets one again; the
		/// shares are sent only to the members' `qmpc` keys on-chain, so an impostor gets
		/// nothing. `lost_shares` names the members (indices) known to have lost their shares:
		/// they are never asked to deal. A validator that lost its session keys as well is a
		/// key rotation instead (`session.setKeys`, then the next session's handover).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::repair())]
		pub fn repair(
			origin: OriginFor<T>,
			lost_shares: BoundedVec<u32, T::MaxAuthorities>,
		) -> DispatchResult {
			T::ManagerOrigin::ensure_origin(origin)?;
			let members = Authorities::<T>::get();
			ensure!(members.len() >= 2, Error::<T>::CommitteeTooSmall);
			let mut lost = lost_shares.into_inner();
			lost.sort_unstable();
			lost.dedup();
			ensure!(
				lost.iter().all(|&index| (index as usize) < members.len()),
				Error::<T>::InvalidAuthorityIndex
			);
			let can_deal = members.len().saturating_sub(lost.len());
			ensure!(can_deal as u32 >= Self::threshold(), Error::<T>::TooFewToDeal);
			Self::start_handover_without(members, BoundedVec::truncate_from(lost));
			Ok(())
		}

		/// A genesis member's statement that it is online for the current attempt of the genesis
		/// key generation (see [`GenesisReady`]).
		///
		/// An authorized transaction: valid only while the root key is not live, for the
		/// pending attempt and this chain, signed by the member's `qmpc` key over
		/// [`GenesisReady::signing_payload`], once per member and attempt.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::ready_for_genesis())]
		#[pallet::authorize(Pallet::<T>::authorize_ready_for_genesis)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_ready_for_genesis())]
		pub fn ready_for_genesis(
			origin: OriginFor<T>,
			ready: GenesisReady,
			signature: crypto::AuthoritySignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			Self::check_ready(&ready, &signature)?;
			GenesisReadyMembers::<T>::try_mutate(|members| {
				members.try_push(ready.member_index).map_err(|_| Error::<T>::AlreadyReady)
			})?;
			Self::deposit_event(Event::GenesisMemberReady {
				epoch: ready.epoch,
				attempt: ready.attempt,
				member_index: ready.member_index,
			});
			Ok(())
		}

		/// A member's report that the threshold-ECDSA library told it to ban another member
		/// (see [`BanReport`]). From the next block on, no signer set holds both.
		///
		/// An authorized transaction: valid only for the current committee and this chain,
		/// signed by the reporter's `qmpc` key over [`BanReport::signing_payload`], once per
		/// reporter and culprit.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::report_ban())]
		#[pallet::authorize(Pallet::<T>::authorize_report_ban)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_report_ban())]
		pub fn report_ban(
			origin: OriginFor<T>,
			report: BanReport,
			signature: crypto::AuthoritySignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			Self::check_ban_report(&report, &signature)?;
			BannedPairs::<T>::try_mutate(report.reporter_index, |culprits| {
				culprits.try_push(report.culprit_index).map_err(|_| Error::<T>::AlreadyReported)
			})?;
			log::warn!(
				target: LOG_TARGET,
				"member {} reports member {} of committee {} ({:?}): they no longer sign together",
				report.reporter_index,
				report.culprit_index,
				report.epoch,
				report.reason,
			);
			Self::deposit_event(Event::MemberBanned {
				committee_id: report.epoch,
				reporter: report.reporter_index,
				culprit: report.culprit_index,
				session_id: report.session_id,
				reason: report.reason,
			});
			Ok(())
		}

		/// A member's report that a co-signer spoiled a signing run (see [`BlameReport`]): the
		/// two sign together in no run for [`Config::BlameExclusion`] blocks.
		///
		/// An authorized transaction: valid only for the current committee and this chain,
		/// signed by the reporter's `qmpc` key over [`BlameReport::signing_payload`], once per
		/// reporter and blamed member while the exclusion lasts.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::report_blame())]
		#[pallet::authorize(Pallet::<T>::authorize_report_blame)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_report_blame())]
		pub fn report_blame(
			origin: OriginFor<T>,
			report: BlameReport,
			signature: crypto::AuthoritySignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			Self::check_blame_report(&report, &signature)?;
			let now = frame_system::Pallet::<T>::block_number();
			let until = now.saturating_add(T::BlameExclusion::get());
			BlamedPairs::<T>::try_mutate(report.reporter_index, |blamed| {
				blamed.retain(|(member, last)| *member != report.blamed_index && *last >= now);
				blamed
					.try_push((report.blamed_index, until))
					.map_err(|_| Error::<T>::AlreadyReported)
			})?;
			log::info!(
				target: LOG_TARGET,
				"member {} blames member {} of committee {} ({:?}): not signing together until \
				 block {until:?}",
				report.reporter_index,
				report.blamed_index,
				report.epoch,
				report.reason,
			);
			Self::deposit_event(Event::MemberBlamed {
				committee_id: report.epoch,
				reporter: report.reporter_index,
				blamed: report.blamed_index,
				session_id: report.session_id,
				reason: report.reason,
				until,
			});
			Ok(())
		}

		/// A member's statement that it is up and holds its share (see [`Heartbeat`]): it may be
		/// chosen to sign while this heartbeat is at most `2 × HeartbeatInterval` blocks old.
		///
		/// An authorized transaction: valid only for the current committee (with a root key)
		/// and this chain, signed by the member's `qmpc` key over [`Heartbeat::signing_payload`],
		/// for a block not in the future and at most one interval old, at least half an
		/// interval after the member's last heartbeat.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		#[pallet::authorize(Pallet::<T>::authorize_heartbeat)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_heartbeat())]
		pub fn heartbeat(
			origin: OriginFor<T>,
			heartbeat: Heartbeat,
			signature: crypto::AuthoritySignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let mut beats = Self::check_heartbeat(&heartbeat, &signature)?;
			if let Some(last) = beats.get_mut(heartbeat.member_index as usize) {
				*last = heartbeat.block.into();
			}
			Heartbeats::<T>::put(beats);
			Ok(())
		}

		/// Evidence that a dealer of the pending handover's key generation or resharing dealt a
		/// wrong share: its signed Feldman points and its signed fragment for one receiver, which
		/// is not on them ([`evidence::InvalidDealingProof`]). The dealer deals in no later
		/// attempt (a genesis member is left out of the key generation); a current member is also
		/// in no signer set until the committee's shares change. The attempt is retried at once
		/// if the dealer took part in it.
		///
		/// An authorized transaction anyone's node may submit: the evidence is the proof. Valid
		/// only for this chain and the pending handover's epoch, once per dealer and handover.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::report_invalid_dealing(proof.dealing.body.len() as u32 + proof.fragment.body.len() as u32))]
		#[pallet::authorize(Pallet::<T>::authorize_report_invalid_dealing)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_report_invalid_dealing(proof.dealing.body.len() as u32 + proof.fragment.body.len() as u32))]
		pub fn report_invalid_dealing(
			origin: OriginFor<T>,
			proof: alloc::boxed::Box<evidence::InvalidDealingProof>,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let (handover, current_index) = Self::check_invalid_dealing(&proof)?;
			HandoverOffenders::<T>::try_mutate(|offenders| {
				offenders.try_push(proof.offender.clone()).map_err(|_| Error::<T>::TooManyOffenders)
			})?;
			if let Some(index) = current_index {
				Offenders::<T>::mutate(|offenders| {
					if !offenders.contains(&index) {
						let _ = offenders.try_push(index);
					}
				});
			}
			// Evidence from the running attempt's run: that attempt cannot succeed, retry it at
			// once without the dealer. Evidence from an earlier attempt only excludes the dealer
			// from later ones (a receiver holding it back cannot use it to abort a good attempt).
			let genesis = current_index.is_none();
			let running = attempt_session_id(
				&Self::genesis_hash(),
				handover.epoch,
				handover.attempt,
				genesis,
			);
			let epoch = handover.epoch;
			if proof.session_id() == running {
				Self::retry(handover, frame_system::Pallet::<T>::block_number(), true);
			}
			log::warn!(
				target: LOG_TARGET,
				"{} dealt a wrong share in run {:?} of the handover to epoch {epoch}: it deals no more",
				proof.offender,
				proof.session_id(),
			);
			T::OnOffence::on_invalid_dealing(epoch, &proof.offender);
			Self::deposit_event(Event::InvalidDealingReported {
				epoch,
				offender: proof.offender.clone(),
				session_id: proof.session_id(),
			});
			Ok(())
		}

		/// Evidence that a member of the current committee signed two different MPC messages for
		/// the same slot (see [`evidence::EquivocationProof`]). From the next block on the
		/// offender is in no signer set, until the committee's shares change.
		///
		/// An authorized transaction anyone's node may submit: the evidence is the proof. Valid
		/// only for this chain and the current committee, once per offender and committee.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::report_equivocation(proof.first.body.len() as u32 + proof.second.body.len() as u32))]
		#[pallet::authorize(Pallet::<T>::authorize_report_equivocation)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_report_equivocation(proof.first.body.len() as u32 + proof.second.body.len() as u32))]
		pub fn report_equivocation(
			origin: OriginFor<T>,
			proof: alloc::boxed::Box<evidence::EquivocationProof>,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let offender = Self::check_equivocation(&proof)?;
			Offenders::<T>::try_mutate(|offenders| {
				offenders.try_push(offender).map_err(|_| Error::<T>::AlreadyReported)
			})?;
			log::warn!(
				target: LOG_TARGET,
				"member {offender} of committee {} equivocated in round {} of run {:?}: it signs no more",
				proof.epoch,
				proof.round(),
				proof.session_id(),
			);
			T::OnOffence::on_equivocation(proof.epoch, &proof.offender);
			Self::deposit_event(Event::OffenceReported {
				committee_id: proof.epoch,
				offender,
				session_id: proof.session_id(),
				round: proof.round(),
			});
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Pool validity of [`Pallet::attest_handover`].
		pub fn authorize_attest_handover(
			_source: TransactionSource,
			attestation: &HandoverAttestation,
			signature: &crypto::AuthoritySignature,
		) -> TransactionValidityWithRefund {
			let handover =
				Self::check_attestation(attestation, signature).map_err(Self::invalid)?;
			let validity = ValidTransaction::with_tag_prefix("QSignHandoverAttestation")
				.priority(T::UnsignedPriority::get())
				.and_provides((
					"qsign/handover-attest",
					attestation.epoch,
					attestation.attempt,
					attestation.member_index,
				))
				.longevity(Self::blocks_left(&handover))
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}

		/// Pool validity of [`Pallet::ready_for_genesis`].
		pub fn authorize_ready_for_genesis(
			_source: TransactionSource,
			ready: &GenesisReady,
			signature: &crypto::AuthoritySignature,
		) -> TransactionValidityWithRefund {
			let handover = Self::check_ready(ready, signature).map_err(Self::invalid)?;
			let validity = ValidTransaction::with_tag_prefix("QSignGenesisReady")
				.priority(T::UnsignedPriority::get())
				.and_provides((
					"qsign/genesis-ready",
					ready.epoch,
					ready.attempt,
					ready.member_index,
				))
				.longevity(Self::blocks_left(&handover))
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}

		/// Pool validity of [`Pallet::report_ban`].
		pub fn authorize_report_ban(
			_source: TransactionSource,
			report: &BanReport,
			signature: &crypto::AuthoritySignature,
		) -> TransactionValidityWithRefund {
			Self::check_ban_report(report, signature).map_err(Self::invalid)?;
			let validity = ValidTransaction::with_tag_prefix("QSignBanReport")
				.priority(T::UnsignedPriority::get())
				.and_provides((
					"qsign/ban",
					report.epoch,
					report.reporter_index,
					report.culprit_index,
				))
				.longevity(64)
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}

		/// Pool validity of [`Pallet::report_blame`].
		pub fn authorize_report_blame(
			_source: TransactionSource,
			report: &BlameReport,
			signature: &crypto::AuthoritySignature,
		) -> TransactionValidityWithRefund {
			Self::check_blame_report(report, signature).map_err(Self::invalid)?;
			let validity = ValidTransaction::with_tag_prefix("QSignBlameReport")
				.priority(T::UnsignedPriority::get())
				.and_provides((
					"qsign/blame",
					report.epoch,
					report.reporter_index,
					report.blamed_index,
				))
				.longevity(16)
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}

		/// Pool validity of [`Pallet::report_equivocation`].
		pub fn authorize_report_equivocation(
			_source: TransactionSource,
			proof: &alloc::boxed::Box<evidence::EquivocationProof>,
		) -> TransactionValidityWithRefund {
			let offender = Self::check_equivocation(proof).map_err(Self::invalid)?;
			let validity = ValidTransaction::with_tag_prefix("QSignEquivocation")
				.priority(T::UnsignedPriority::get())
				.and_provides(("qsign/equivocation", proof.epoch, offender))
				.longevity(64)
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}

		/// Pool validity of [`Pallet::report_invalid_dealing`].
		pub fn authorize_report_invalid_dealing(
			_source: TransactionSource,
			proof: &alloc::boxed::Box<evidence::InvalidDealingProof>,
		) -> TransactionValidityWithRefund {
			let (handover, _) = Self::check_invalid_dealing(proof).map_err(Self::invalid)?;
			let validity = ValidTransaction::with_tag_prefix("QSignInvalidDealing")
				.priority(T::UnsignedPriority::get())
				.and_provides(("qsign/invalid-dealing", handover.epoch, proof.offender.clone()))
				.longevity(64)
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}

		/// Pool validity of [`Pallet::heartbeat`].
		pub fn authorize_heartbeat(
			_source: TransactionSource,
			heartbeat: &Heartbeat,
			signature: &crypto::AuthoritySignature,
		) -> TransactionValidityWithRefund {
			Self::check_heartbeat(heartbeat, signature).map_err(Self::invalid)?;
			let longevity: u64 = T::HeartbeatInterval::get().try_into().unwrap_or(u64::MAX);
			let validity = ValidTransaction::with_tag_prefix("QSignHeartbeat")
				.priority(T::UnsignedPriority::get())
				.and_provides(("qsign/heartbeat", heartbeat.epoch, heartbeat.member_index))
				.longevity(longevity.max(1))
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}

		/// Pool validity of [`Pallet::prove_handover`].
		pub fn authorize_prove_handover(
			_source: TransactionSource,
			epoch: &CommitteeId,
			attempt: &u32,
			signature: &Signature,
		) -> TransactionValidityWithRefund {
			let (handover, _) =
				Self::check_proof(*epoch, *attempt, signature).map_err(Self::invalid)?;
			let validity = ValidTransaction::with_tag_prefix("QSignHandoverProof")
				.priority(T::UnsignedPriority::get())
				.and_provides(("qsign/handover-proof", *epoch, *attempt))
				.longevity(Self::blocks_left(&handover))
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Members that must agree: `n / 2 + 1` for the current committee of `n`.
	pub fn threshold() -> u32 {
		threshold_of(Authorities::<T>::decode_len().unwrap_or(0))
	}

	/// The committee as the runtime API reports it.
	pub fn committee() -> CommitteeInfo<crypto::AuthorityId> {
		CommitteeInfo {
			committee_id: CurrentCommitteeId::<T>::get(),
			authorities: Authorities::<T>::get().into_inner(),
			threshold: Self::threshold(),
			root_key: RootKey::<T>::get(),
		}
	}

	/// The chain's genesis hash (known from block 1 on).
	pub fn genesis_hash() -> [u8; 32] {
		let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let mut out = [0u8; 32];
		let bytes = hash.as_ref();
		if bytes.len() == 32 {
			out.copy_from_slice(bytes);
		}
		out
	}

	/// The pending handover as the runtime API reports it.
	pub fn handover() -> Option<HandoverInfo<crypto::AuthorityId, BlockNumberFor<T>>> {
		let handover = PendingHandover::<T>::get()?;
		let members = handover.members.into_inner();
		let attested_keys: Vec<PublicKey> = handover.attestations.iter().map(|a| a.1).collect();
		let public_key = RootKey::<T>::get().or_else(|| attested_keys.first().copied());
		Some(HandoverInfo {
			epoch: handover.epoch,
			attempt: handover.attempt,
			threshold: threshold_of(members.len()),
			proof_hash: handover_proof_hash(
				&Self::genesis_hash(),
				handover.epoch,
				handover.attempt,
				&members,
			),
			members,
			dealers: handover.dealers.into_inner(),
			started_at: handover.started_at,
			deadline: handover.started_at.saturating_add(T::HandoverTimeout::get()),
			attested: handover.attestations.iter().map(|a| a.0).collect(),
			public_key,
		})
	}

	/// Members of the current committee (indices) that may be chosen to sign now: those whose
	/// last heartbeat is at most `2 × HeartbeatInterval` blocks old ([`Pallet::heartbeat`]).
	pub fn live_members() -> Vec<u32> {
		let now = frame_system::Pallet::<T>::block_number();
		let window = T::HeartbeatInterval::get().saturating_mul(2u32.into());
		let members = Authorities::<T>::decode_len().unwrap_or(0);
		Heartbeats::<T>::get()
			.into_iter()
			.take(members)
			.enumerate()
			.filter(|(_, last)| now.saturating_sub(*last) <= window)
			.filter_map(|(index, _)| u32::try_from(index).ok())
			.collect()
	}

	/// Checks a heartbeat (see [`Pallet::heartbeat`]); returns the recorded heartbeats, one per
	/// member.
	fn check_heartbeat(
		heartbeat: &Heartbeat,
		signature: &crypto::AuthoritySignature,
	) -> Result<BoundedVec<BlockNumberFor<T>, T::MaxAuthorities>, Error<T>> {
		if heartbeat.genesis_hash != Self::genesis_hash() {
			return Err(Error::<T>::WrongChain);
		}
		if heartbeat.epoch != CurrentCommitteeId::<T>::get() {
			return Err(Error::<T>::WrongCommittee);
		}
		if RootKey::<T>::get().is_none() {
			return Err(Error::<T>::NoRootKey);
		}
		let authorities = Authorities::<T>::get();
		let member = authorities
			.get(heartbeat.member_index as usize)
			.ok_or(Error::<T>::InvalidAuthorityIndex)?;
		let now = frame_system::Pallet::<T>::block_number();
		let block: BlockNumberFor<T> = heartbeat.block.into();
		let interval = T::HeartbeatInterval::get();
		if block > now || now.saturating_sub(block) > interval {
			return Err(Error::<T>::StaleHeartbeat);
		}
		let mut beats = Heartbeats::<T>::get();
		if beats.len() < authorities.len() {
			// A committee formed before heartbeats existed: nobody has one yet.
			beats = BoundedVec::truncate_from(alloc::vec![Zero::zero(); authorities.len()]);
		}
		let last = beats.get(heartbeat.member_index as usize).copied().unwrap_or_else(Zero::zero);
		let half = interval / 2u32.into();
		if !last.is_zero() && block < last.saturating_add(half.max(1u32.into())) {
			return Err(Error::<T>::HeartbeatTooSoon);
		}
		if !member.verify(&heartbeat.signing_payload(), signature) {
			return Err(Error::<T>::InvalidCommitteeSignature);
		}
		Ok(beats)
	}

	/// Every pair of members of the current committee that no signer set may hold: each
	/// `(reporter, culprit)` ban, each `(reporter, blamed)` pair whose exclusion lasts, and each
	/// offender ([`Offenders`]) paired with every other
	/// member (so it is in no signer set at all).
	pub fn banned_pairs() -> Vec<(u32, u32)> {
		let mut pairs: Vec<(u32, u32)> = BannedPairs::<T>::iter()
			.flat_map(|(reporter, culprits)| {
				culprits.into_iter().map(move |culprit| (reporter, culprit))
			})
			.collect();
		let now = frame_system::Pallet::<T>::block_number();
		for (reporter, blamed) in BlamedPairs::<T>::iter() {
			pairs.extend(
				blamed.into_iter().filter(|(_, until)| *until >= now).map(|(b, _)| (reporter, b)),
			);
		}
		let members = Authorities::<T>::get().len() as u32;
		for offender in Offenders::<T>::get() {
			pairs.extend((0..members).filter(|&m| m != offender).map(|m| (m, offender)));
		}
		pairs.sort_unstable();
		pairs.dedup();
		pairs
	}

	/// This attempt's dealers: none while there is no root key (the genesis key generation),
	/// else `t` current members ([`dealer_positions`]), none of `cannot_deal`.
	fn dealers_for(
		next: &[crypto::AuthorityId],
		attempt: u32,
		cannot_deal: &[u32],
	) -> BoundedVec<u32, T::MaxAuthorities> {
		if RootKey::<T>::get().is_none() {
			return BoundedVec::new();
		}
		let current = Authorities::<T>::get();
		let offenders = HandoverOffenders::<T>::get();
		let excluded: Vec<u32> = cannot_deal
			.iter()
			.copied()
			.chain(
				current
					.iter()
					.enumerate()
					.filter(|(_, member)| offenders.contains(member))
					.map(|(index, _)| index as u32),
			)
			.collect();
		let positions = dealer_positions(&current, next, Self::threshold(), attempt, &excluded);
		BoundedVec::truncate_from(positions)
	}

	/// Opens a handover to `members` (replacing a pending one).
	fn start_handover(members: AuthoritiesOf<T>) {
		Self::start_handover_without(members, BoundedVec::new())
	}

	/// Opens a handover to `members` in which the current members at `cannot_deal` do not deal.
	fn start_handover_without(
		members: AuthoritiesOf<T>,
		cannot_deal: BoundedVec<u32, T::MaxAuthorities>,
	) {
		let epoch = NextEpoch::<T>::get().max(CurrentCommitteeId::<T>::get().saturating_add(1));
		NextEpoch::<T>::put(epoch.saturating_add(1));
		// Offenders are per handover: a new one (a new epoch) starts with none.
		HandoverOffenders::<T>::kill();
		let count = members.len();
		let dealers = Self::dealers_for(&members, 0, &cannot_deal);
		PendingHandover::<T>::put(HandoverRecord {
			epoch,
			attempt: 0,
			members,
			dealers,
			started_at: frame_system::Pallet::<T>::block_number(),
			cannot_deal,
			attestations: BoundedVec::new(),
		});
		log::info!(target: LOG_TARGET, "handover to epoch {epoch} opened ({count} members)");
		Self::deposit_event(Event::HandoverStarted {
			epoch,
			members: count as u32,
			threshold: threshold_of(count),
		});
	}

	/// Blocks until the pending attempt is abandoned (pool longevity of its transactions).
	fn blocks_left(handover: &HandoverRecord<T>) -> u64 {
		let deadline = handover.started_at.saturating_add(T::HandoverTimeout::get());
		let now = frame_system::Pallet::<T>::block_number();
		let left: u64 = deadline.saturating_sub(now).try_into().unwrap_or(u64::MAX);
		left.max(1)
	}

	/// Checks an attestation (see [`Pallet::attest_handover`]); returns the pending handover.
	fn check_attestation(
		attestation: &HandoverAttestation,
		signature: &crypto::AuthoritySignature,
	) -> Result<HandoverRecord<T>, Error<T>> {
		let handover = PendingHandover::<T>::get().ok_or(Error::<T>::NoHandover)?;
		if (attestation.epoch, attestation.attempt) != (handover.epoch, handover.attempt) {
			return Err(Error::<T>::WrongHandover);
		}
		if attestation.genesis_hash != Self::genesis_hash() {
			return Err(Error::<T>::WrongChain);
		}
		let member = handover
			.members
			.get(attestation.member_index as usize)
			.ok_or(Error::<T>::InvalidAuthorityIndex)?;
		if !member.verify(&attestation.signing_payload(), signature) {
			return Err(Error::<T>::InvalidCommitteeSignature);
		}
		if handover.attestations.iter().any(|(index, _)| *index == attestation.member_index) {
			return Err(Error::<T>::AlreadyAttested);
		}
		if !is_valid_public_key(&attestation.public_key) {
			return Err(Error::<T>::InvalidPublicKey);
		}
		if RootKey::<T>::get().is_some_and(|root| root != attestation.public_key) {
			return Err(Error::<T>::NotTheRootKey);
		}
		Ok(handover)
	}

	/// Checks a genesis readiness statement (see [`Pallet::ready_for_genesis`]); returns the
	/// pending key generation.
	fn check_ready(
		ready: &GenesisReady,
		signature: &crypto::AuthoritySignature,
	) -> Result<HandoverRecord<T>, Error<T>> {
		if RootKey::<T>::get().is_some() {
			return Err(Error::<T>::NotGenesis);
		}
		let handover = PendingHandover::<T>::get().ok_or(Error::<T>::NoHandover)?;
		if (ready.epoch, ready.attempt) != (handover.epoch, handover.attempt) {
			return Err(Error::<T>::WrongHandover);
		}
		if ready.genesis_hash != Self::genesis_hash() {
			return Err(Error::<T>::WrongChain);
		}
		let member = handover
			.members
			.get(ready.member_index as usize)
			.ok_or(Error::<T>::InvalidAuthorityIndex)?;
		if !member.verify(&ready.signing_payload(), signature) {
			return Err(Error::<T>::InvalidCommitteeSignature);
		}
		if GenesisReadyMembers::<T>::get().contains(&ready.member_index) {
			return Err(Error::<T>::AlreadyReady);
		}
		Ok(handover)
	}

	/// The members of the genesis key generation's next attempt (number `attempt`), after an
	/// attempt by `current` in which the members at positions `ready` said they were online:
	/// - some were not ready: those that were, if they are at least the full set's threshold
	///   (and 2), else the full set ([`SessionMembers`]);
	/// - every one was ready and still there is no key (one of them stalls the key generation):
	///   `current` without its member at position `attempt % len`, while above that floor; at
	///   the floor, the full set again. Successive attempts thus leave out each member in turn,
	///   so a member that says it is ready and then stalls cannot block the root key for ever
	///   (it gets no share; the handover to the full set that follows waits for it, while the
	///   key signs).
	///
	/// A member proven to have dealt a wrong share ([`HandoverOffenders`]) counts as not ready,
	/// and is left out of the full set while at least the floor remains.
	///
	/// `None` keeps `current`.
	fn genesis_retry_members(
		current: &AuthoritiesOf<T>,
		ready: &[u32],
		attempt: u32,
	) -> Option<AuthoritiesOf<T>> {
		let full = SessionMembers::<T>::get();
		let full = if full.is_empty() { current.clone() } else { full };
		let floor = (threshold_of(full.len()) as usize).max(2);
		// A proven offender is never online, and is out of the full set while enough are left.
		let offenders = HandoverOffenders::<T>::get();
		let honest_full: Vec<crypto::AuthorityId> =
			full.iter().filter(|member| !offenders.contains(member)).cloned().collect();
		let full = if honest_full.len() >= floor && honest_full.len() < full.len() {
			AuthoritiesOf::<T>::truncate_from(honest_full)
		} else {
			full
		};
		let online: Vec<crypto::AuthorityId> = current
			.iter()
			.enumerate()
			.filter(|(index, member)| {
				ready.contains(&(*index as u32)) && !offenders.contains(member)
			})
			.map(|(_, member)| member.clone())
			.collect();
		if online.len() == current.len() {
			if current.len() > floor {
				let left_out = attempt as usize % current.len();
				let rest: Vec<crypto::AuthorityId> = current
					.iter()
					.enumerate()
					.filter(|(index, _)| *index != left_out)
					.map(|(_, member)| member.clone())
					.collect();
				return Some(AuthoritiesOf::<T>::truncate_from(rest));
			}
			return (full != *current).then_some(full);
		}
		if online.len() >= floor {
			return Some(AuthoritiesOf::<T>::truncate_from(online));
		}
		(full != *current).then_some(full)
	}

	/// Checks what a member's report on another member of the current committee needs: this
	/// chain, the current committee (with a key), both indices members, two different members,
	/// and the reporter's signature over `payload`.
	fn check_member_report(
		genesis_hash: &[u8; 32],
		epoch: CommitteeId,
		reporter_index: u32,
		other_index: u32,
		payload: &[u8],
		signature: &crypto::AuthoritySignature,
	) -> Result<(), Error<T>> {
		if *genesis_hash != Self::genesis_hash() {
			return Err(Error::<T>::WrongChain);
		}
		if epoch != CurrentCommitteeId::<T>::get() || RootKey::<T>::get().is_none() {
			return Err(Error::<T>::WrongCommittee);
		}
		let members = Authorities::<T>::get();
		let reporter =
			members.get(reporter_index as usize).ok_or(Error::<T>::InvalidAuthorityIndex)?;
		if other_index as usize >= members.len() {
			return Err(Error::<T>::InvalidAuthorityIndex);
		}
		if other_index == reporter_index {
			return Err(Error::<T>::SelfReport);
		}
		if !reporter.verify(&payload, signature) {
			return Err(Error::<T>::InvalidCommitteeSignature);
		}
		Ok(())
	}

	/// Checks a ban report (see [`Pallet::report_ban`]).
	fn check_ban_report(
		report: &BanReport,
		signature: &crypto::AuthoritySignature,
	) -> Result<(), Error<T>> {
		Self::check_member_report(
			&report.genesis_hash,
			report.epoch,
			report.reporter_index,
			report.culprit_index,
			&report.signing_payload(),
			signature,
		)?;
		if BannedPairs::<T>::get(report.reporter_index).contains(&report.culprit_index) {
			return Err(Error::<T>::AlreadyReported);
		}
		Ok(())
	}

	/// Checks a blame report (see [`Pallet::report_blame`]).
	fn check_blame_report(
		report: &BlameReport,
		signature: &crypto::AuthoritySignature,
	) -> Result<(), Error<T>> {
		Self::check_member_report(
			&report.genesis_hash,
			report.epoch,
			report.reporter_index,
			report.blamed_index,
			&report.signing_payload(),
			signature,
		)?;
		let now = frame_system::Pallet::<T>::block_number();
		if BlamedPairs::<T>::get(report.reporter_index)
			.iter()
			.any(|(member, until)| *member == report.blamed_index && *until >= now)
		{
			return Err(Error::<T>::AlreadyReported);
		}
		Ok(())
	}

	/// Checks equivocation evidence (see [`Pallet::report_equivocation`]); returns the
	/// offender's index in the current committee.
	fn check_equivocation(proof: &evidence::EquivocationProof) -> Result<u32, Error<T>> {
		if proof.genesis_hash != Self::genesis_hash() {
			return Err(Error::<T>::WrongChain);
		}
		if proof.epoch != CurrentCommitteeId::<T>::get() || RootKey::<T>::get().is_none() {
			return Err(Error::<T>::WrongCommittee);
		}
		let offender = Authorities::<T>::get()
			.iter()
			.position(|member| *member == proof.offender)
			.ok_or(Error::<T>::NotAMember)? as u32;
		if Offenders::<T>::get().contains(&offender) {
			return Err(Error::<T>::AlreadyReported);
		}
		proof.verify(&Self::genesis_hash()).map_err(|e| {
			log::debug!(target: LOG_TARGET, "equivocation evidence refused: {e:?}");
			Error::<T>::InvalidEvidence
		})?;
		Ok(offender)
	}

	/// Abandons the pending handover's attempt and starts the next one in block `now`, with
	/// other dealers (and, at genesis, the members that were ready, without proven offenders).
	/// `offender_found`: the attempt is cut short by evidence, not run out of time; at genesis the
	/// next attempt then keeps the attempt's members but the offenders (readiness statements
	/// still on their way would otherwise count as members being offline).
	fn retry(mut handover: HandoverRecord<T>, now: BlockNumberFor<T>, offender_found: bool) {
		handover.attempt = handover.attempt.saturating_add(1);
		handover.started_at = now;
		handover.attestations = BoundedVec::new();
		if RootKey::<T>::get().is_none() {
			let ready = GenesisReadyMembers::<T>::take();
			let members = if offender_found {
				Self::genesis_members_without_offenders(&handover.members)
			} else {
				Self::genesis_retry_members(&handover.members, &ready, handover.attempt)
			};
			if let Some(members) = members {
				Self::deposit_event(Event::GenesisMembersChanged {
					epoch: handover.epoch,
					attempt: handover.attempt,
					members: members.len() as u32,
				});
				handover.members = members;
			}
		}
		handover.dealers =
			Self::dealers_for(&handover.members, handover.attempt, &handover.cannot_deal);
		Self::deposit_event(Event::HandoverRetried {
			epoch: handover.epoch,
			attempt: handover.attempt,
		});
		log::info!(
			target: LOG_TARGET,
			"handover to epoch {} retried (attempt {})",
			handover.epoch,
			handover.attempt
		);
		PendingHandover::<T>::put(handover);
	}

	/// `members` without the proven offenders, if that leaves out any and keeps at least the
	/// genesis key generation's floor (a threshold of the validator set, and 2).
	fn genesis_members_without_offenders(members: &AuthoritiesOf<T>) -> Option<AuthoritiesOf<T>> {
		let offenders = HandoverOffenders::<T>::get();
		let full = SessionMembers::<T>::get();
		let intended = if full.is_empty() { members.len() } else { full.len() };
		let floor = (threshold_of(intended) as usize).max(2);
		let honest: Vec<crypto::AuthorityId> =
			members.iter().filter(|member| !offenders.contains(member)).cloned().collect();
		(honest.len() < members.len() && honest.len() >= floor)
			.then(|| AuthoritiesOf::<T>::truncate_from(honest))
	}

	/// Checks evidence of a wrong dealing (see [`Pallet::report_invalid_dealing`]); returns the
	/// pending handover and the dealer's index in the current committee (`None` at genesis,
	/// where the dealers are the key generation's members).
	fn check_invalid_dealing(
		proof: &evidence::InvalidDealingProof,
	) -> Result<(HandoverRecord<T>, Option<u32>), Error<T>> {
		if proof.genesis_hash != Self::genesis_hash() {
			return Err(Error::<T>::WrongChain);
		}
		let handover = PendingHandover::<T>::get().ok_or(Error::<T>::NoHandover)?;
		if proof.epoch != handover.epoch {
			return Err(Error::<T>::WrongHandover);
		}
		let genesis = RootKey::<T>::get().is_none();
		let expected = if genesis { evidence::PROTOCOL_DKG } else { evidence::PROTOCOL_RESHARE };
		if proof.protocol() != expected {
			return Err(Error::<T>::InvalidEvidence);
		}
		let current_index = if genesis {
			if !handover.members.contains(&proof.offender)
				&& !SessionMembers::<T>::get().contains(&proof.offender)
			{
				return Err(Error::<T>::NotAMember);
			}
			None
		} else {
			let index = Authorities::<T>::get()
				.iter()
				.position(|member| *member == proof.offender)
				.ok_or(Error::<T>::NotAMember)? as u32;
			Some(index)
		};
		if HandoverOffenders::<T>::get().contains(&proof.offender) {
			return Err(Error::<T>::AlreadyReported);
		}
		// No committee has a threshold above that of the largest committee.
		let max_points = threshold_of(T::MaxAuthorities::get() as usize);
		proof.verify(&Self::genesis_hash(), max_points).map_err(|e| {
			log::debug!(target: LOG_TARGET, "dealing evidence refused: {e:?}");
			Error::<T>::InvalidEvidence
		})?;
		Ok((handover, current_index))
	}

	/// Checks a proof (see [`Pallet::prove_handover`]); returns the handover and its key.
	fn check_proof(
		epoch: CommitteeId,
		attempt: u32,
		signature: &Signature,
	) -> Result<(HandoverRecord<T>, PublicKey), Error<T>> {
		let handover = PendingHandover::<T>::get().ok_or(Error::<T>::NoHandover)?;
		if (epoch, attempt) != (handover.epoch, handover.attempt) {
			return Err(Error::<T>::WrongHandover);
		}
		let key = handover.attestations.first().map(|a| a.1).ok_or(Error::<T>::NotAllAttested)?;
		if handover.attestations.len() != handover.members.len()
			|| handover.attestations.iter().any(|a| a.1 != key)
		{
			return Err(Error::<T>::NotAllAttested);
		}
		let hash = handover_proof_hash(&Self::genesis_hash(), epoch, attempt, &handover.members);
		qsign_primitives::signature::verify_signature(&hash, signature, &key)
			.map_err(|_| Error::<T>::InvalidProof)?;
		Ok((handover, key))
	}

	/// Maps a pallet error to the pool's view of it.
	fn invalid(error: Error<T>) -> InvalidTransaction {
		match error {
			// Too late, too early or twice: nothing wrong with the sender.
			Error::<T>::NoHandover
			| Error::<T>::WrongHandover
			| Error::<T>::AlreadyAttested
			| Error::<T>::AlreadyReported
			| Error::<T>::AlreadyReady
			| Error::<T>::NotGenesis
			| Error::<T>::WrongCommittee
			| Error::<T>::StaleHeartbeat
			| Error::<T>::NoRootKey
			| Error::<T>::NotAllAttested => InvalidTransaction::Stale,
			Error::<T>::HeartbeatTooSoon => InvalidTransaction::Future,
			Error::<T>::InvalidAuthorityIndex | Error::<T>::NotAMember => {
				InvalidTransaction::BadSigner
			}
			Error::<T>::InvalidCommitteeSignature
			| Error::<T>::InvalidProof
			| Error::<T>::InvalidEvidence => InvalidTransaction::BadProof,
			_ => InvalidTransaction::Call,
		}
	}

	/// The session's new member list: opens, replaces or cancels the handover.
	fn on_new_members(next: Vec<crypto::AuthorityId>) {
		if next.len() > T::MaxAuthorities::get() as usize {
			log::warn!(
				target: LOG_TARGET,
				"committee of {} larger than MaxAuthorities = {}, truncating",
				next.len(),
				T::MaxAuthorities::get(),
			);
		}
		let next = AuthoritiesOf::<T>::truncate_from(next);
		SessionMembers::<T>::put(next.clone());
		let pending = PendingHandover::<T>::get();
		if pending.as_ref().is_some_and(|h| h.members == next) {
			return;
		}
		if next == Authorities::<T>::get() && RootKey::<T>::get().is_some() {
			if let Some(handover) = pending {
				PendingHandover::<T>::kill();
				HandoverOffenders::<T>::kill();
				Self::deposit_event(Event::HandoverCancelled { epoch: handover.epoch });
			}
			return;
		}
		if next.len() < 2 {
			log::warn!(
				target: LOG_TARGET,
				"a committee of {} cannot run threshold ECDSA: the current committee stays",
				next.len()
			);
			return;
		}
		Self::start_handover(next);
	}
}

impl<T: Config> CommitteeInterface<crypto::AuthorityId> for Pallet<T> {
	fn root_key() -> Option<PublicKey> {
		RootKey::<T>::get()
	}

	fn committee_id() -> CommitteeId {
		CurrentCommitteeId::<T>::get()
	}

	fn member(index: u32) -> Option<crypto::AuthorityId> {
		Authorities::<T>::get().get(index as usize).cloned()
	}

	fn threshold() -> u32 {
		Self::threshold()
	}

	fn committee() -> CommitteeInfo<crypto::AuthorityId> {
		Self::committee()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn set_committee(members: Vec<crypto::AuthorityId>) {
		Authorities::<T>::put(AuthoritiesOf::<T>::truncate_from(members));
		CurrentCommitteeId::<T>::mutate(|id| *id = id.saturating_add(1));
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn set_root_key(public_key: PublicKey) {
		RootKey::<T>::put(public_key);
	}
}

impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
	type Public = crypto::AuthorityId;
}

impl<T: Config> OneSessionHandler<T::AccountId> for Pallet<T> {
	type Key = crypto::AuthorityId;

	fn on_genesis_session<'a, I>(validators: I)
	where
		I: Iterator<Item = (&'a T::AccountId, Self::Key)> + 'a,
	{
		let members = AuthoritiesOf::<T>::truncate_from(validators.map(|(_, key)| key).collect());
		let count = members.len();
		Authorities::<T>::put(members.clone());
		SessionMembers::<T>::put(members.clone());
		if count >= 2 {
			// The genesis key generation: a handover with no dealers.
			Self::start_handover(members);
		}
	}

	fn on_new_session<'a, I>(changed: bool, validators: I, _queued_validators: I)
	where
		I: Iterator<Item = (&'a T::AccountId, Self::Key)> + 'a,
	{
		if changed {
			Self::on_new_members(validators.map(|(_, key)| key).collect());
		}
	}

	fn on_disabled(_validator_index: u32) {}
}
