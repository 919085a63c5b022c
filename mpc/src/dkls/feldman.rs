//! Feldman commitments to the DKG polynomials, so that bad Shamir shares have a name.
//!
//! In DKLs23's key generation every party `j` sends `f_j(i)` privately to every party `i`,
//! where `f_j` has degree `t − 1`; the library only notices an inconsistent dealer at the
//! end ("polynomial inconsistency") without knowing who it was. We add the classic Feldman
//! check: `j` first commits (hash) to `F_j = (f_j(1)·G, …, f_j(t)·G)`, which pins down the
//! whole polynomial in the exponent, then reveals it with the shares. Receiver `i` checks
//! `f_j(i)·G = F_j(i)` (Lagrange interpolation in the exponent) and names `j` if not. The
//! commit-then-reveal order keeps a rushing party from choosing its polynomial after seeing
//! the others' (which would let it bias the public key).
//!
//! The revealed points are public information in Feldman VSS; they reveal nothing about
//! `f_j(0)` beyond `f_j(0)·G`, whose sum is the public key anyway.

use k256::{elliptic_curve::group::GroupEncoding, AffinePoint, ProjectivePoint, Scalar};
use sha2::{Digest, Sha256};

use crate::{PartyIndex, SessionId};

/// Hash commitment to a party's Feldman points.
pub(super) fn commitment(
	session: &SessionId,
	dealer: PartyIndex,
	points: &[AffinePoint],
) -> [u8; 32] {
	let mut hasher = Sha256::new();
	hasher.update(b"QSign/v1/dkg/feldman");
	hasher.update(session.0);
	hasher.update(dealer.get().to_be_bytes());
	hasher.update(u64::try_from(points.len()).unwrap_or(u64::MAX).to_be_bytes());
	for point in points {
		hasher.update(point.to_bytes());
	}
	hasher.finalize().into()
}

/// `f(x)·G` from `points = (f(1)·G, …, f(t)·G)` for a polynomial `f` of degree `t − 1`.
///
/// Returns `None` only for an empty point list.
pub(super) fn evaluate(points: &[AffinePoint], x: u16) -> Option<ProjectivePoint> {
	let t = u16::try_from(points.len()).ok()?;
	if t == 0 {
		return None;
	}
	if (1..=t).contains(&x) {
		return points.get(usize::from(x - 1)).map(|p| ProjectivePoint::from(*p));
	}
	let x = Scalar::from(u64::from(x));
	let mut acc = ProjectivePoint::IDENTITY;
	for (k, point) in (1..=t).zip(points) {
		// λ_k(x) = Π_{m ≠ k} (x − m) / (k − m); the denominators are non-zero because the
		// nodes 1..=t are distinct and far below the group order.
		let mut numerator = Scalar::ONE;
		let mut denominator = Scalar::ONE;
		for m in (1..=t).filter(|&m| m != k) {
			let m = Scalar::from(u64::from(m));
			numerator *= x - m;
			denominator *= Scalar::from(u64::from(k)) - m;
		}
		let inverse: Option<Scalar> = denominator.invert().into();
		acc += ProjectivePoint::from(*point) * (numerator * inverse?);
	}
	Some(acc)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn interpolation_in_the_exponent_matches_the_polynomial() {
		// f(x) = 5 + 7x + 11x² (t = 3), evaluated directly and through the commitments.
		let f = |x: u64| {
			Scalar::from(5u64)
				+ Scalar::from(7u64) * Scalar::from(x)
				+ Scalar::from(11u64) * Scalar::from(x * x)
		};
		let points: Vec<AffinePoint> =
			(1..=3).map(|x| (ProjectivePoint::GENERATOR * f(x)).to_affine()).collect();
		for x in 1..=9u16 {
			assert_eq!(
				evaluate(&points, x).unwrap().to_affine(),
				(ProjectivePoint::GENERATOR * f(u64::from(x))).to_affine(),
				"x = {x}"
			);
		}
		assert!(evaluate(&[], 1).is_none());
	}
}
