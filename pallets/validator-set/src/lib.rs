//! # Validator set
//!
//! The accounts that validate the chain, added and removed by governance, and handed to
//! pallet-session as its [`pallet_session::SessionManager`].
//!
//! ## Overview
//!
//! * **Validators.** [`Validators`] is the list of validator accounts, in the order they were
//!   added (the genesis order first). It holds at most [`Config::MaxValidators`] and, once
//!   governance changed it, at least [`Config::MinValidators`] accounts.
//! * **Governance.** [`Pallet::add_validator`] and [`Pallet::remove_validator`] need
//!   [`Config::ManagerOrigin`] (root, i.e. sudo, on the dev and local chains). An account can be
//!   added only once it registered its session keys (`session.setKeys`, checked through
//!   [`Config::ValidatorRegistration`]), so that pallet-session never drops it for lack of keys.
//! * **Sessions.** The pallet is pallet-session's session manager: when pallet-session plans
//!   session `i` (at the start of session `i - 1`), [`SessionManager::new_session`] hands it the
//!   current list if it differs from the list last handed over ([`PlannedValidators`]), and
//!   `None` otherwise. pallet-session keeps a planned set queued for one session, so a change
//!   needs two session rotations to take effect.
//! * **Prompt rotations.** With [`RotateOnChange`] as pallet-session's `ShouldEndSession`, a
//!   change (or [`Pallet::force_rotation`], e.g. after an operator rotated its session keys)
//!   ends the next two sessions at once, so it is in effect two blocks later instead of one or
//!   two session periods later; otherwise sessions end as the wrapped rule says.
//!
//! ## Genesis
//!
//! [`GenesisConfig::validators`] lists the initial validators; the runtime must give each of
//! them session keys in pallet-session's genesis and must build this pallet's genesis before
//! pallet-session's (declare it before `Session` in the runtime), so that pallet-session's
//! genesis session uses this list. An empty list leaves the genesis set to pallet-session's
//! genesis keys; the first change then replaces that set with this pallet's list.
//!
//! ## Runtime requirements
//!
//! * `type SessionManager = ValidatorSet;` in pallet-session's config, with
//!   `ValidatorId = AccountId` (this pallet manages accounts).
//! * pallet-session as [`Config::ValidatorRegistration`].

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
pub use weights::WeightInfo;

use alloc::vec::Vec;
use pallet_session::{SessionManager, ShouldEndSession};

/// Log target of this pallet.
const LOG_TARGET: &str = "runtime::validator-set";

/// Index of a session (pallet-session's `SessionIndex`).
pub type SessionIndex = u32;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::ValidatorRegistration};
	use frame_system::pallet_prelude::*;

	/// The pallet.
	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Who may add and remove validators (governance; root on the dev and local chains).
		type ManagerOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Most validators the set may hold (at most what the consensus pallets support).
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Fewest validators [`Pallet::remove_validator`] leaves in the set (at least 1).
		#[pallet::constant]
		type MinValidators: Get<u32>;

		/// Whether an account registered session keys (pallet-session implements it); only
		/// such accounts can be added.
		type ValidatorRegistration: ValidatorRegistration<Self::AccountId>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Registers session keys for an account, so that benchmarks can add it.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The validator accounts, in the order they were added. What pallet-session uses from the
	/// session after the next one (see the crate documentation).
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// The validator list as last handed to pallet-session (at genesis: the genesis list).
	/// [`SessionManager::new_session`] hands [`Validators`] over again only when it differs.
	#[pallet::storage]
	pub type PlannedValidators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// Session rotations still to force so that the last change takes effect (see
	/// [`RotateOnChange`]).
	#[pallet::storage]
	pub type RotationsDue<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The initial validators.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The validator accounts at genesis; each needs session keys in pallet-session's
		/// genesis. At most [`Config::MaxValidators`], no duplicates, and either empty or at
		/// least [`Config::MinValidators`].
		pub validators: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let mut seen = alloc::collections::BTreeSet::new();
			assert!(
				self.validators.iter().all(|v| seen.insert(v)),
				"validator-set genesis: duplicate validator",
			);
			assert!(
				self.validators.is_empty()
					|| self.validators.len() >= T::MinValidators::get() as usize,
				"validator-set genesis: fewer than MinValidators validators",
			);
			let validators: BoundedVec<_, _> = self
				.validators
				.clone()
				.try_into()
				.expect("validator-set genesis: more than MaxValidators validators");
			Validators::<T>::put(&validators);
			PlannedValidators::<T>::put(validators);
		}
	}

	/// Events of the pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `account` was added to the validator set; it validates from the session after the
		/// next one.
		ValidatorAdded {
			/// The new validator.
			account: T::AccountId,
		},
		/// `account` was removed from the validator set; it stops validating from the session
		/// after the next one.
		ValidatorRemoved {
			/// The removed validator.
			account: T::AccountId,
		},
		/// The changed validator set was handed to pallet-session, which makes it the active
		/// set at the start of session `session_index`.
		NewSessionValidators {
			/// The session from which `validators` validate.
			session_index: SessionIndex,
			/// The validators of that session.
			validators: BoundedVec<T::AccountId, T::MaxValidators>,
		},
		/// Governance asked for the next two sessions to end at once.
		RotationForced,
	}

	/// Errors of the pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a validator.
		AlreadyValidator,
		/// The account is not a validator.
		NotValidator,
		/// The set already holds `MaxValidators` validators.
		TooManyValidators,
		/// Removing the account would leave fewer than `MinValidators` validators.
		TooFewValidators,
		/// The account has not registered session keys (`session.setKeys`) yet.
		NoSessionKeys,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MinValidators::get() >= 1, "MinValidators must be at least 1");
			assert!(
				T::MinValidators::get() <= T::MaxValidators::get(),
				"MinValidators must not exceed MaxValidators",
			);
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Add `account` to the validator set. It validates from the session after the next one.
		///
		/// The origin must be [`Config::ManagerOrigin`]. `account` must have registered session
		/// keys (`session.setKeys`, which holds pallet-session's key deposit) and must not be a
		/// validator already; the set must have room for it.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator())]
		pub fn add_validator(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			T::ManagerOrigin::ensure_origin(origin)?;
			let mut validators = Validators::<T>::get();
			ensure!(!validators.contains(&account), Error::<T>::AlreadyValidator);
			ensure!(T::ValidatorRegistration::is_registered(&account), Error::<T>::NoSessionKeys);
			validators.try_push(account.clone()).map_err(|_| Error::<T>::TooManyValidators)?;
			Validators::<T>::put(validators);
			RotationsDue::<T>::put(2);
			log::debug!(target: LOG_TARGET, "validator added: {account:?}");
			Self::deposit_event(Event::ValidatorAdded { account });
			Ok(())
		}

		/// Remove `account` from the validator set. It stops validating from the session after
		/// the next one; its session keys (and their deposit) stay until it purges them with
		/// `session.purgeKeys`.
		///
		/// The origin must be [`Config::ManagerOrigin`]. `account` must be a validator, and at
		/// least [`Config::MinValidators`] validators must remain.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator())]
		pub fn remove_validator(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			T::ManagerOrigin::ensure_origin(origin)?;
			let mut validators = Validators::<T>::get();
			let position =
				validators.iter().position(|v| v == &account).ok_or(Error::<T>::NotValidator)?;
			ensure!(
				validators.len() > T::MinValidators::get() as usize,
				Error::<T>::TooFewValidators
			);
			validators.remove(position);
			Validators::<T>::put(validators);
			RotationsDue::<T>::put(2);
			log::debug!(target: LOG_TARGET, "validator removed: {account:?}");
			Self::deposit_event(Event::ValidatorRemoved { account });
			Ok(())
		}

		/// End the next two sessions at once (with [`RotateOnChange`]), so that session keys
		/// an operator changed with `session.setKeys` (a `qmpc` key rotation) take effect
		/// without waiting for the session period.
		///
		/// The origin must be [`Config::ManagerOrigin`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::force_rotation())]
		pub fn force_rotation(origin: OriginFor<T>) -> DispatchResult {
			T::ManagerOrigin::ensure_origin(origin)?;
			RotationsDue::<T>::put(2);
			Self::deposit_event(Event::RotationForced);
			Ok(())
		}
	}
}

/// pallet-session's `ShouldEndSession`: a session ends when `Periodic` says so, or at once while
/// a change of the validator set (or a [`Pallet::force_rotation`]) still needs rotations to take
/// effect.
pub struct RotateOnChange<T, Periodic>(core::marker::PhantomData<(T, Periodic)>);

impl<T, Periodic> ShouldEndSession<frame_system::pallet_prelude::BlockNumberFor<T>>
	for RotateOnChange<T, Periodic>
where
	T: Config,
	Periodic: ShouldEndSession<frame_system::pallet_prelude::BlockNumberFor<T>>,
{
	fn should_end_session(now: frame_system::pallet_prelude::BlockNumberFor<T>) -> bool {
		RotationsDue::<T>::get() > 0 || Periodic::should_end_session(now)
	}
}

impl<T: Config> Pallet<T> {
	/// The current validator accounts (the set pallet-session gets at its next change).
	pub fn validators() -> Vec<T::AccountId> {
		Validators::<T>::get().into_inner()
	}
}

/// pallet-session asks for the validators of each new session here.
impl<T: Config> SessionManager<T::AccountId> for Pallet<T> {
	/// The validator list if it differs from the one last returned, `None` otherwise
	/// (pallet-session then keeps the current set). Called at the start of session
	/// `new_index - 1`.
	fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		RotationsDue::<T>::mutate(|due| *due = due.saturating_sub(1));
		let validators = Validators::<T>::get();
		if validators == PlannedValidators::<T>::get() {
			return None;
		}
		PlannedValidators::<T>::put(&validators);
		log::info!(
			target: LOG_TARGET,
			"{} validators from session {new_index}",
			validators.len()
		);
		Self::deposit_event(Event::NewSessionValidators {
			session_index: new_index,
			validators: validators.clone(),
		});
		Some(validators.into_inner())
	}

	/// At genesis (sessions 0 and 1): the genesis validators, or `None` when the genesis list
	/// is empty (pallet-session then uses its genesis keys).
	fn new_session_genesis(_new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		let validators = Validators::<T>::get();
		(!validators.is_empty()).then(|| validators.into_inner())
	}

	/// Nothing to do when a session ends.
	fn end_session(_end_index: SessionIndex) {}

	/// Nothing to do when a session starts.
	fn start_session(_start_index: SessionIndex) {}
}

/// Gives an account session keys, for the benchmarks (which need a registered account to add).
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers session keys for `account`, so that [`Config::ValidatorRegistration`] accepts
	/// it.
	fn register_session_keys(account: &AccountId);
}
