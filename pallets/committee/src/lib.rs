//! # pallet-committee
//!
//! QSign's threshold-ECDSA committee: who its members are, how many of them must agree, and the
//! root key their DKG produced. Split from pallet-qsign (which keeps keys, requests, broadcasts
//! and failure votes) the way Chainflip splits threshold signing from requests; pallet-qsign
//! reads the committee through [`CommitteeInterface`].
//!
//! ## Overview
//!
//! * **Committee.** The pallet is a session handler ([`OneSessionHandler`]) with its own session
//!   key type `qmpc` ([`crypto::AuthorityId`], sr25519). The current validators' `qmpc` keys form
//!   the committee; `threshold = n / 2 + 1` members must agree on anything the committee says.
//!   Each change of membership starts a new committee id.
//! * **Root key.** The committee runs a DKG off-chain; each member then submits
//!   [`Pallet::submit_root_key`] with a [`RootKeyAttestation`] signed by its `qmpc` key, as an
//!   *authorized* general transaction (`#[pallet::authorize]`, checked by
//!   `frame_system::AuthorizeCall`). Once `threshold` members attested the same valid point it
//!   becomes the root key for good.
//!
//! ## Runtime requirements
//!
//! * `frame_system::AuthorizeCall<Runtime>` in the transaction extension pipeline (for the
//!   root key attestations), and the pallet in `SessionKeys` (QSign's runtime names the field
//!   `qsign`).

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use qsign_primitives::request::{CommitteeId, CommitteeInfo, PublicKey, RootKeyAttestation};
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{
	traits::{Get, OneSessionHandler},
	BoundedVec,
};
use sp_runtime::{transaction_validity::InvalidTransaction, RuntimeAppPublic};

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
	/// The root public key every key is derived from, once attested.
	fn root_key() -> Option<PublicKey>;
	/// The current committee's id.
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
	}

	/// The current committee's members, in `authority_index` order.
	#[pallet::storage]
	pub type Authorities<T: Config> = StorageValue<_, AuthoritiesOf<T>, ValueQuery>;

	/// The current committee's id (incremented on every change of membership).
	#[pallet::storage]
	pub type CurrentCommitteeId<T: Config> = StorageValue<_, CommitteeId, ValueQuery>;

	/// The root public key every key is derived from, once attested.
	#[pallet::storage]
	pub type RootKey<T: Config> = StorageValue<_, PublicKey, OptionQuery>;

	/// The current committee's root key attestations: `(authority_index, public_key)`.
	#[pallet::storage]
	pub type RootKeyVotes<T: Config> =
		StorageValue<_, BoundedVec<(u32, PublicKey), T::MaxAuthorities>, ValueQuery>;

	/// Events of the pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The committee changed; root key attestations start over.
		CommitteeChanged {
			/// The new committee's id.
			committee_id: CommitteeId,
			/// Number of members.
			members: u32,
			/// Members that must agree.
			threshold: u32,
		},
		/// A committee member attested a root key.
		RootKeyAttested {
			/// The member's committee.
			committee_id: CommitteeId,
			/// The member.
			authority_index: u32,
			/// The attested key.
			public_key: PublicKey,
		},
		/// A threshold of the committee attested the same root key; it is now the root key.
		RootKeySet {
			/// The committee that attested it.
			committee_id: CommitteeId,
			/// The root key.
			public_key: PublicKey,
		},
	}

	/// Errors of the pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The root key is already set.
		RootKeyAlreadySet,
		/// The attestation is for another committee than the current one.
		WrongCommittee,
		/// No committee member has this index.
		InvalidAuthorityIndex,
		/// The committee member's signature over the attestation is invalid.
		InvalidCommitteeSignature,
		/// This committee member already attested a root key.
		AlreadyAttested,
		/// The attested root key is not a valid SEC1 compressed secp256k1 point.
		InvalidPublicKey,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// A committee member's attestation of the root key produced by the DKG.
		///
		/// An authorized transaction: valid only if signed by the member's `qmpc` key over
		/// [`RootKeyAttestation::signing_payload`], for the current committee, while no root key
		/// is set, once per member, for a valid point. The root key is set when `threshold`
		/// members attested the same key.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::submit_root_key())]
		#[pallet::authorize(Pallet::<T>::authorize_submit_root_key)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_submit_root_key())]
		pub fn submit_root_key(
			origin: OriginFor<T>,
			attestation: RootKeyAttestation,
			signature: crypto::AuthoritySignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			Self::check_root_key_attestation(&attestation, &signature)?;
			let RootKeyAttestation { committee_id, authority_index, public_key } = attestation;

			let mut votes = RootKeyVotes::<T>::get();
			votes
				.try_push((authority_index, public_key))
				.map_err(|_| Error::<T>::InvalidAuthorityIndex)?;
			let agreeing = votes.iter().filter(|(_, key)| *key == public_key).count() as u32;
			Self::deposit_event(Event::RootKeyAttested {
				committee_id,
				authority_index,
				public_key,
			});
			if agreeing >= Self::threshold() {
				RootKey::<T>::put(public_key);
				RootKeyVotes::<T>::kill();
				Self::deposit_event(Event::RootKeySet { committee_id, public_key });
			} else {
				RootKeyVotes::<T>::put(votes);
			}
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Pool validity of [`Pallet::submit_root_key`].
		pub fn authorize_submit_root_key(
			_source: TransactionSource,
			attestation: &RootKeyAttestation,
			signature: &crypto::AuthoritySignature,
		) -> TransactionValidityWithRefund {
			Self::check_root_key_attestation(attestation, signature).map_err(Self::invalid)?;
			let validity = ValidTransaction::with_tag_prefix("QSignRootKey")
				.priority(T::UnsignedPriority::get())
				.and_provides(("qsign/root", attestation.committee_id, attestation.authority_index))
				.longevity(64)
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Members that must agree: `n / 2 + 1` for a committee of `n`.
	pub fn threshold() -> u32 {
		(Authorities::<T>::decode_len().unwrap_or(0) as u32) / 2 + 1
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

	/// The committee member `authority_index` of `committee_id`, if that is the current
	/// committee and `signature` is the member's over `payload`.
	fn check_committee_signature(
		committee_id: CommitteeId,
		authority_index: u32,
		payload: &[u8],
		signature: &crypto::AuthoritySignature,
	) -> Result<(), Error<T>> {
		if committee_id != CurrentCommitteeId::<T>::get() {
			return Err(Error::<T>::WrongCommittee);
		}
		let authorities = Authorities::<T>::get();
		let authority =
			authorities.get(authority_index as usize).ok_or(Error::<T>::InvalidAuthorityIndex)?;
		if !authority.verify(&payload, signature) {
			return Err(Error::<T>::InvalidCommitteeSignature);
		}
		Ok(())
	}

	/// Checks a root key attestation (see [`Pallet::submit_root_key`]).
	fn check_root_key_attestation(
		attestation: &RootKeyAttestation,
		signature: &crypto::AuthoritySignature,
	) -> Result<(), Error<T>> {
		if RootKey::<T>::exists() {
			return Err(Error::<T>::RootKeyAlreadySet);
		}
		Self::check_committee_signature(
			attestation.committee_id,
			attestation.authority_index,
			&attestation.signing_payload(),
			signature,
		)?;
		if RootKeyVotes::<T>::get().iter().any(|(index, _)| *index == attestation.authority_index) {
			return Err(Error::<T>::AlreadyAttested);
		}
		if !is_valid_public_key(&attestation.public_key) {
			return Err(Error::<T>::InvalidPublicKey);
		}
		Ok(())
	}

	/// Maps a pallet error to the pool's view of it.
	fn invalid(error: Error<T>) -> InvalidTransaction {
		match error {
			// The attestation came too late or twice: nothing wrong with the sender.
			Error::<T>::RootKeyAlreadySet
			| Error::<T>::AlreadyAttested
			| Error::<T>::WrongCommittee => InvalidTransaction::Stale,
			Error::<T>::InvalidAuthorityIndex => InvalidTransaction::BadSigner,
			Error::<T>::InvalidCommitteeSignature => InvalidTransaction::BadProof,
			_ => InvalidTransaction::Call,
		}
	}

	/// Replaces the committee (truncated to [`Config::MaxAuthorities`]).
	pub(crate) fn set_committee(authorities: Vec<crypto::AuthorityId>, new_committee: bool) {
		if authorities.len() > T::MaxAuthorities::get() as usize {
			log::warn!(
				target: LOG_TARGET,
				"committee of {} larger than MaxAuthorities = {}, truncating",
				authorities.len(),
				T::MaxAuthorities::get(),
			);
		}
		let authorities = AuthoritiesOf::<T>::truncate_from(authorities);
		let members = authorities.len() as u32;
		Authorities::<T>::put(authorities);
		let committee_id = if new_committee {
			let id = CurrentCommitteeId::<T>::get().saturating_add(1);
			CurrentCommitteeId::<T>::put(id);
			id
		} else {
			CurrentCommitteeId::<T>::get()
		};
		RootKeyVotes::<T>::kill();
		Self::deposit_event(Event::CommitteeChanged {
			committee_id,
			members,
			threshold: members / 2 + 1,
		});
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
		Self::set_committee(members, true);
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
		Self::set_committee(validators.map(|(_, key)| key).collect(), false);
	}

	fn on_new_session<'a, I>(changed: bool, validators: I, _queued_validators: I)
	where
		I: Iterator<Item = (&'a T::AccountId, Self::Key)> + 'a,
	{
		if !changed {
			return;
		}
		let next: Vec<_> = validators.map(|(_, key)| key).collect();
		if next != Authorities::<T>::get().into_inner() {
			Self::set_committee(next, true);
		}
	}

	fn on_disabled(_validator_index: u32) {}
}
