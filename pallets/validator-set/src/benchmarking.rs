//! Benchmarks of pallet-validator-set (frame-benchmarking v2), worst case: the list scanned in
//! full (the account looked for is last, or absent) and as long as it gets.

use super::*;
use crate::Pallet as ValidatorSet;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};

/// A set of `n` validators (accounts that need no session keys: only added ones are checked).
fn fill<T: Config>(n: u32) -> Vec<T::AccountId> {
	let validators: Vec<T::AccountId> = (0..n).map(|i| account("validator", i, 0)).collect();
	let bounded: BoundedVec<_, T::MaxValidators> =
		validators.clone().try_into().expect("n is at most MaxValidators");
	Validators::<T>::put(bounded);
	validators
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The set has one free place; the new account is compared with every validator.
	#[benchmark]
	fn add_validator() -> Result<(), BenchmarkError> {
		fill::<T>(T::MaxValidators::get().saturating_sub(1));
		let who: T::AccountId = account("candidate", 0, 0);
		T::BenchmarkHelper::register_session_keys(&who);
		let origin =
			T::ManagerOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert_eq!(ValidatorSet::<T>::validators().last(), Some(&who));
		Ok(())
	}

	/// The set is full; the removed validator is the last one.
	#[benchmark]
	fn remove_validator() -> Result<(), BenchmarkError> {
		let validators = fill::<T>(T::MaxValidators::get());
		let who = validators.last().cloned().ok_or(BenchmarkError::Weightless)?;
		let origin =
			T::ManagerOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(!ValidatorSet::<T>::validators().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn force_rotation() -> Result<(), BenchmarkError> {
		let origin =
			T::ManagerOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin);

		assert_eq!(crate::RotationsDue::<T>::get(), 2);
		Ok(())
	}

	impl_benchmark_test_suite!(ValidatorSet, crate::mock::new_test_ext(), crate::mock::Test);
}
