//! Checking a dealer's fragment against its Feldman commitment: the runtime's half of the
//! evidence that a member dealt a wrong share in a key generation or a resharing (design:
//! `docs/design/misbehaviour-evidence.md` §3).
//!
//! In both protocols a dealer `j` broadcasts `F_j = (f_j(1)·G, …, f_j(t)·G)`, which pins its
//! polynomial `f_j` of degree `t − 1` down in the exponent, and sends each receiver `i` the
//! scalar `f_j(i)` point to point. An honest dealer's fragment always satisfies
//! `f_j(i)·G = F_j(i)` (Lagrange interpolation in the exponent). Both messages are signed by
//! the dealer, so a pair that fails the check proves that the dealer cheated, whoever shows it.
//!
//! The byte formats are `qsign-mpc`'s (postcard): the broadcast starts with the points as a
//! sequence (`varint(t)`, then per point `0x21 ‖ 33-byte SEC1 compressed`; a key generation's
//! broadcast continues with other fields, which are not read); the fragment is exactly the
//! scalar as a byte string (`0x20 ‖ 32 bytes`, big-endian). The `qsign-mpc` tests check these formats against the engine's
//! real messages.

use alloc::vec::Vec;
use k256::{
	elliptic_curve::{group::GroupEncoding, sec1::FromEncodedPoint, PrimeField},
	AffinePoint, ProjectivePoint, Scalar,
};

/// Length of a SEC1 compressed point.
const POINT_LEN: usize = 33;

/// Why a dealing and a fragment cannot be checked (no evidence either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DealingError {
	/// The broadcast does not start with a point sequence (or a point is not on the curve).
	MalformedPoints,
	/// More points than the caller allows, or none.
	PointCount,
	/// The fragment is not exactly one canonical scalar.
	MalformedFragment,
	/// The receiver index is 0 (indices start at 1).
	NoReceiver,
}

/// Reads the Feldman points at the start of a dealer's broadcast payload: at most
/// `max_points`, at least one, none the identity.
///
/// Accepts every encoding the engine's decoder accepts (postcard and k256's SEC1 points), not
/// only the one an honest dealer writes: varints of up to 10 bytes, and compressed,
/// uncompressed or compact points. Otherwise a cheater could deal a wrong fragment under points
/// in a form the engine reads and the runtime does not, and its evidence would prove nothing.
///
/// # Errors
///
/// [`DealingError::MalformedPoints`] or [`DealingError::PointCount`].
pub fn feldman_points(payload: &[u8], max_points: u32) -> Result<Vec<AffinePoint>, DealingError> {
	let (count, mut rest) = read_varint(payload).ok_or(DealingError::MalformedPoints)?;
	if count == 0 || count > u64::from(max_points) {
		return Err(DealingError::PointCount);
	}
	// Every point takes at least 33 bytes: a hostile count does not size the allocation.
	let mut points = Vec::with_capacity((count as usize).min(rest.len() / 33));
	for _ in 0..count {
		let (len, tail) = read_varint(rest).ok_or(DealingError::MalformedPoints)?;
		let len = usize::try_from(len).map_err(|_| DealingError::MalformedPoints)?;
		if len > tail.len() {
			return Err(DealingError::MalformedPoints);
		}
		let (bytes, tail) = tail.split_at(len);
		let encoded =
			k256::EncodedPoint::from_bytes(bytes).map_err(|_| DealingError::MalformedPoints)?;
		let point: Option<AffinePoint> = AffinePoint::from_encoded_point(&encoded).into();
		let point = point.ok_or(DealingError::MalformedPoints)?;
		if point == AffinePoint::IDENTITY {
			return Err(DealingError::MalformedPoints);
		}
		points.push(point);
		rest = tail;
	}
	Ok(points)
}

/// Reads a fragment payload: exactly one canonical scalar as a byte string (`varint(32) ‖ 32
/// bytes`, big-endian; the varint in any length the engine's decoder accepts).
///
/// # Errors
///
/// [`DealingError::MalformedFragment`].
pub fn fragment(payload: &[u8]) -> Result<Scalar, DealingError> {
	let bytes = match read_varint(payload) {
		Some((32, bytes)) => bytes,
		_ => return Err(DealingError::MalformedFragment),
	};
	let bytes: [u8; 32] = bytes.try_into().map_err(|_| DealingError::MalformedFragment)?;
	Option::from(Scalar::from_repr(bytes.into())).ok_or(DealingError::MalformedFragment)
}

/// `f(x)·G` from `points = (f(1)·G, …, f(t)·G)` for a polynomial `f` of degree `t − 1`.
///
/// Returns `None` for an empty point list.
pub fn evaluate(points: &[AffinePoint], x: u16) -> Option<ProjectivePoint> {
	let t = u16::try_from(points.len()).ok()?;
	if t == 0 {
		return None;
	}
	if (1..=t).contains(&x) {
		return points.get(usize::from(x - 1)).map(|p| ProjectivePoint::from(*p));
	}
	// λ_k(x) = Π_{m ≠ k} (x − m) / (k − m). The denominators are non-zero (distinct small nodes)
	// and are inverted together (one inversion, Montgomery's trick).
	let x = Scalar::from(u64::from(x));
	let nodes: Vec<Scalar> = (1..=t).map(|k| Scalar::from(u64::from(k))).collect();
	let mut numerators = Vec::with_capacity(nodes.len());
	let mut denominators = Vec::with_capacity(nodes.len());
	for (k, node) in nodes.iter().enumerate() {
		let mut numerator = Scalar::ONE;
		let mut denominator = Scalar::ONE;
		for other in nodes.iter().enumerate().filter(|(m, _)| *m != k).map(|(_, other)| other) {
			numerator *= x - other;
			denominator *= *node - other;
		}
		numerators.push(numerator);
		denominators.push(denominator);
	}
	let mut prefix = Vec::with_capacity(denominators.len());
	let mut running = Scalar::ONE;
	for denominator in &denominators {
		prefix.push(running);
		running *= denominator;
	}
	let mut inverse: Scalar = Option::from(running.invert())?;
	let mut acc = ProjectivePoint::IDENTITY;
	for k in (0..denominators.len()).rev() {
		let inverse_k = inverse * prefix[k];
		inverse *= denominators[k];
		acc += ProjectivePoint::from(points[k]) * (numerators[k] * inverse_k);
	}
	Some(acc)
}

/// Whether the fragment for `receiver` lies on the polynomial the dealer committed to:
/// `fragment·G = F(receiver)`. `false` proves the dealer cheated (given its signatures).
///
/// # Errors
///
/// The payloads cannot be read (see [`feldman_points`] and [`fragment`]), or `receiver` is 0.
pub fn fragment_matches(
	dealing_payload: &[u8],
	fragment_payload: &[u8],
	receiver: u16,
	max_points: u32,
) -> Result<bool, DealingError> {
	if receiver == 0 {
		return Err(DealingError::NoReceiver);
	}
	let points = feldman_points(dealing_payload, max_points)?;
	let value = fragment(fragment_payload)?;
	let expected = evaluate(&points, receiver).ok_or(DealingError::PointCount)?;
	Ok(ProjectivePoint::GENERATOR * value == expected)
}

/// Postcard's unsigned varint (LEB128) of up to 10 bytes, as a `u64`: the value and the rest.
/// Non-minimal forms (trailing `0x80` groups) are accepted, as postcard's decoder accepts them.
fn read_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
	let mut value: u64 = 0;
	for (i, &byte) in bytes.iter().enumerate().take(10) {
		let bits = u64::from(byte & 0x7f);
		let shift = 7 * i as u32;
		if shift == 63 && bits > 1 {
			return None; // Over 64 bits.
		}
		value |= bits << shift;
		if byte & 0x80 == 0 {
			return Some((value, &bytes[i + 1..]));
		}
	}
	None
}

/// The payload formats, for tests and for the engine that writes them.
pub mod encode {
	use super::*;

	/// A dealing broadcast that holds only `points`.
	pub fn points(points: &[AffinePoint]) -> Vec<u8> {
		let mut out = Vec::new();
		let mut count = points.len() as u32;
		loop {
			let byte = (count & 0x7f) as u8;
			count >>= 7;
			if count == 0 {
				out.push(byte);
				break;
			}
			out.push(byte | 0x80);
		}
		for point in points {
			out.push(POINT_LEN as u8);
			out.extend_from_slice(&point.to_bytes());
		}
		out
	}

	/// A fragment payload.
	pub fn fragment(value: &Scalar) -> Vec<u8> {
		let mut out = alloc::vec![32u8];
		out.extend_from_slice(&value.to_bytes());
		out
	}

	/// A canonical dealing payload (as [`points`] writes it) in the other forms the engine's
	/// decoder also reads: every varint padded by one byte, every point uncompressed. `None` if
	/// `payload` does not start with canonical points.
	pub fn other_forms(payload: &[u8]) -> Option<Vec<u8>> {
		let points = feldman_points(payload, u32::MAX).ok()?;
		let mut out = alloc::vec![(points.len() as u8 & 0x7f) | 0x80, 0x00];
		for point in &points {
			use k256::elliptic_curve::sec1::ToEncodedPoint;
			let uncompressed = point.to_encoded_point(false);
			out.extend_from_slice(&[65 | 0x80, 0x00]);
			out.extend_from_slice(uncompressed.as_bytes());
		}
		Some(out)
	}

	/// A dealing of `points` points (a fixed polynomial, at least one point) and a fragment for
	/// `receiver` that is off it by one: the payloads of a cheating dealer, for tests and
	/// benchmarks.
	pub fn example_wrong_dealing(points: u32, receiver: u16) -> (Vec<u8>, Vec<u8>) {
		let coefficients: Vec<Scalar> =
			(0..points.max(1)).map(|k| Scalar::from(u64::from(k) * 7 + 3)).collect();
		let evaluate = |x: u64| {
			let x = Scalar::from(x);
			coefficients.iter().rev().fold(Scalar::ZERO, |acc, c| acc * x + c)
		};
		let committed: Vec<AffinePoint> = (1..=u64::from(points.max(1)))
			.map(|x| (ProjectivePoint::GENERATOR * evaluate(x)).to_affine())
			.collect();
		let wrong = evaluate(u64::from(receiver)) + Scalar::ONE;
		(self::points(&committed), fragment(&wrong))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// `f(x) = 5 + 7x + 11x²` (t = 3) at `x`.
	fn f(x: u64) -> Scalar {
		Scalar::from(5u64) + Scalar::from(7u64) * Scalar::from(x) + Scalar::from(11u64 * x * x)
	}

	fn dealing() -> Vec<u8> {
		let points: Vec<AffinePoint> =
			(1..=3).map(|x| (ProjectivePoint::GENERATOR * f(x)).to_affine()).collect();
		encode::points(&points)
	}

	#[test]
	fn a_fragment_on_the_committed_polynomial_matches_for_every_receiver() {
		for receiver in 1..=9u16 {
			let fragment = encode::fragment(&f(u64::from(receiver)));
			assert_eq!(fragment_matches(&dealing(), &fragment, receiver, 3), Ok(true));
		}
	}

	#[test]
	fn a_fragment_off_the_polynomial_or_for_another_receiver_does_not_match() {
		let wrong = encode::fragment(&(f(4) + Scalar::ONE));
		assert_eq!(fragment_matches(&dealing(), &wrong, 4, 3), Ok(false));
		let for_five = encode::fragment(&f(5));
		assert_eq!(fragment_matches(&dealing(), &for_five, 4, 3), Ok(false));
	}

	#[test]
	fn what_cannot_be_read_is_an_error_not_evidence() {
		let good = encode::fragment(&f(1));
		assert_eq!(fragment_matches(&dealing(), &good, 1, 2), Err(DealingError::PointCount));
		assert_eq!(fragment_matches(&[0], &good, 1, 3), Err(DealingError::PointCount));
		assert_eq!(fragment_matches(&[], &good, 1, 3), Err(DealingError::MalformedPoints));
		let mut truncated = dealing();
		truncated.pop();
		assert_eq!(fragment_matches(&truncated, &good, 1, 3), Err(DealingError::MalformedPoints));
		let mut off_curve = dealing();
		off_curve[2..35].fill(0xff);
		assert_eq!(fragment_matches(&off_curve, &good, 1, 3), Err(DealingError::MalformedPoints));
		assert_eq!(
			fragment_matches(&dealing(), &good[..32], 1, 3),
			Err(DealingError::MalformedFragment)
		);
		assert_eq!(
			fragment_matches(&dealing(), &good[1..], 1, 3),
			Err(DealingError::MalformedFragment)
		);
		assert_eq!(
			fragment_matches(&dealing(), &[[32].as_slice(), &[0xff; 32]].concat(), 1, 3),
			Err(DealingError::MalformedFragment),
			"a scalar above the group order"
		);
		assert_eq!(fragment_matches(&dealing(), &good, 0, 3), Err(DealingError::NoReceiver));
		// A key generation's broadcast continues after the points: that is fine.
		let mut longer = dealing();
		longer.extend_from_slice(&[1, 2, 3]);
		assert_eq!(fragment_matches(&longer, &good, 1, 3), Ok(true));
	}

	#[test]
	fn every_encoding_the_engine_reads_is_read_alike() {
		let wrong = encode::fragment(&(f(4) + Scalar::ONE));
		let right = encode::fragment(&f(4));
		let other = encode::other_forms(&dealing()).expect("a canonical dealing");
		assert_ne!(other, dealing());
		assert_eq!(fragment_matches(&other, &wrong, 4, 3), Ok(false));
		assert_eq!(fragment_matches(&other, &right, 4, 3), Ok(true));
		// A fragment whose length varint is padded.
		let padded = [&[0xa0, 0x00][..], &right[1..]].concat();
		assert_eq!(fragment_matches(&dealing(), &padded, 4, 3), Ok(true));
		// The identity point (`0x00`) is never part of a dealing.
		let identity = [&[0x01, 0x01, 0x00][..]].concat();
		assert_eq!(feldman_points(&identity, 3), Err(DealingError::MalformedPoints));
	}

	#[test]
	fn the_example_wrong_dealing_is_evidence() {
		for points in [1, 2, 51] {
			let (dealing, fragment) = encode::example_wrong_dealing(points, 4);
			assert_eq!(fragment_matches(&dealing, &fragment, 4, points), Ok(false));
		}
	}

	#[test]
	fn varints_read_as_postcard_writes_them() {
		assert_eq!(read_varint(&[0x05, 9]), Some((5, &[9u8][..])));
		assert_eq!(read_varint(&[0x80, 0x01]), Some((128, &[][..])));
		assert_eq!(read_varint(&[0x80]), None);
		// Non-minimal forms, as postcard's decoder accepts them.
		assert_eq!(read_varint(&[0x85, 0x80, 0x00]), Some((5, &[][..])));
		let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
		assert_eq!(read_varint(&max), Some((u64::MAX, &[][..])));
		let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
		assert_eq!(read_varint(&over), None);
		assert_eq!(read_varint(&[0x80; 11]), None);
	}
}
