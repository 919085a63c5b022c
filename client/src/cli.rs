//! Argument parsers shared by the `qsign-demo` and `qsign-load` binaries (usable as clap
//! `value_parser`s: they return a message instead of panicking).
//!
//! Secret URIs are deliberately not parsed here: clap repeats a rejected value in its error
//! message, and a secret URI may be a mnemonic. The binaries take `--suri` as text and report
//! [`crate::Signer::from_suri`]'s error, which does not repeat it.

use crate::{rpc::Endpoint, tx};

/// Accepts an `http://host:port[/path]` URL.
///
/// # Errors
///
/// What is wrong with the URL.
pub fn parse_url(text: &str) -> Result<String, String> {
	Endpoint::parse(text).map(|_| text.to_string()).map_err(|e| e.to_string())
}

/// Accepts a key derivation path no longer than the runtime allows.
///
/// # Errors
///
/// A message naming the limit.
pub fn parse_path(text: &str) -> Result<String, String> {
	let max = tx::max_path_len() as usize;
	if text.len() > max {
		return Err(format!("{} bytes; the runtime allows at most {max}", text.len()));
	}
	Ok(text.to_string())
}

/// Accepts a whole number of seconds from 1 to one day.
///
/// # Errors
///
/// A message naming the range.
pub fn parse_secs(text: &str) -> Result<u64, String> {
	match text.parse::<u64>() {
		Ok(secs) if (1..=86_400).contains(&secs) => Ok(secs),
		_ => Err("expected whole seconds from 1 to 86400".into()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn bad_arguments_are_messages() {
		assert!(parse_url("http://127.0.0.1:9944").is_ok());
		assert!(parse_url("127.0.0.1:9944").is_err());
		let err = crate::Signer::from_suri("my secret words").unwrap_err().to_string();
		assert!(!err.contains("secret words"), "{err}");
		assert!(parse_path("demo").is_ok());
		assert!(parse_path(&"x".repeat(tx::max_path_len() as usize + 1)).is_err());
		assert_eq!(parse_secs("30"), Ok(30));
		for bad in ["0", "-1", "1.5", "", "86401", "x"] {
			assert!(parse_secs(bad).is_err(), "{bad}");
		}
	}
}
