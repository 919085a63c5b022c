//! Percentiles and summaries of measurements (for the load benchmark).

/// The `p`-th percentile (`0 ≤ p ≤ 100`) of `sorted` (ascending) by the nearest-rank method:
/// the smallest value such that at least `p`% of the values are less than or equal to it.
///
/// `None` if `sorted` is empty or `p` is not in `0..=100` (or NaN). `p = 0` gives the minimum.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
	if sorted.is_empty() || !(0.0..=100.0).contains(&p) {
		return None;
	}
	// rank = ⌈p/100 · n⌉, at least 1. The float product is exact enough for any realistic n;
	// the clamp keeps the index in bounds regardless.
	let n = sorted.len();
	let rank = ((p / 100.0) * n as f64).ceil() as usize;
	sorted.get(rank.clamp(1, n) - 1).copied()
}

/// Count, extremes, mean and the usual percentiles of a set of measurements.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
	/// Number of values.
	pub count: usize,
	/// Smallest value.
	pub min: f64,
	/// Median (nearest rank).
	pub p50: f64,
	/// 90th percentile (nearest rank).
	pub p90: f64,
	/// 99th percentile (nearest rank).
	pub p99: f64,
	/// Largest value.
	pub max: f64,
	/// Arithmetic mean.
	pub mean: f64,
}

impl Summary {
	/// The summary of `values` (any order; NaNs are ignored); `None` if there are none.
	pub fn of(values: &[f64]) -> Option<Self> {
		let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
		sorted.sort_by(f64::total_cmp);
		let count = sorted.len();
		let mean = sorted.iter().sum::<f64>() / count as f64;
		Some(Self {
			count,
			min: *sorted.first()?,
			p50: percentile(&sorted, 50.0)?,
			p90: percentile(&sorted, 90.0)?,
			p99: percentile(&sorted, 99.0)?,
			max: *sorted.last()?,
			mean,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn nearest_rank_percentiles() {
		let values: Vec<u32> = (1..=100).collect();
		assert_eq!(percentile(&values, 50.0), Some(50));
		assert_eq!(percentile(&values, 99.0), Some(99));
		assert_eq!(percentile(&values, 99.5), Some(100));
		assert_eq!(percentile(&values, 100.0), Some(100));
		assert_eq!(percentile(&values, 0.0), Some(1));
		assert_eq!(percentile(&values, 1.0), Some(1));
		assert_eq!(percentile(&values, 1.01), Some(2));

		// Small sets: the p99 of fewer than 100 values is the maximum.
		assert_eq!(percentile(&[3, 5, 9], 50.0), Some(5));
		assert_eq!(percentile(&[3, 5, 9], 99.0), Some(9));
		assert_eq!(percentile(&[3, 5, 9, 11], 50.0), Some(5));
		assert_eq!(percentile(&[7], 50.0), Some(7));
		assert_eq!(percentile(&[7], 99.0), Some(7));

		// Out-of-range input is `None`, never a panic.
		assert_eq!(percentile::<u32>(&[], 50.0), None);
		assert_eq!(percentile(&values, -1.0), None);
		assert_eq!(percentile(&values, 100.1), None);
		assert_eq!(percentile(&values, f64::NAN), None);
	}

	#[test]
	fn summaries() {
		let s = Summary::of(&[4.0, 1.0, 3.0, 2.0, f64::NAN]).unwrap();
		assert_eq!((s.count, s.min, s.p50, s.p99, s.max, s.mean), (4, 1.0, 2.0, 4.0, 4.0, 2.5));
		assert_eq!(Summary::of(&[]), None);
		assert_eq!(Summary::of(&[f64::NAN]), None);
	}
}
