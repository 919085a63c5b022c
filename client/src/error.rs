//! The error type of this crate.

use std::time::Duration;

/// Everything that can go wrong talking to a node or building a transaction.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The RPC URL is not `http://host[:port][/path]`.
	#[error("invalid RPC URL {url:?}: {reason}")]
	InvalidUrl {
		/// The URL as given.
		url: String,
		/// What is wrong with it.
		reason: String,
	},
	/// No TCP connection could be made to the node.
	#[error("cannot connect to {endpoint}: {source}")]
	Connect {
		/// `host:port` of the node.
		endpoint: String,
		/// The last connection error.
		source: std::io::Error,
	},
	/// Sending the request or reading the response failed (including read timeouts).
	#[error("I/O error on {method} at {endpoint}: {source}")]
	Io {
		/// `host:port` of the node.
		endpoint: String,
		/// The JSON-RPC method called.
		method: String,
		/// The I/O error.
		source: std::io::Error,
	},
	/// The response exceeded the size limit.
	#[error("response to {method} exceeds {limit} bytes")]
	ResponseTooLarge {
		/// The JSON-RPC method called.
		method: String,
		/// The limit in bytes.
		limit: usize,
	},
	/// The response is not a well-formed HTTP/1.x response.
	#[error("malformed HTTP response to {method}: {reason}")]
	Http {
		/// The JSON-RPC method called.
		method: String,
		/// What is wrong with it.
		reason: String,
	},
	/// The node answered with an HTTP status other than 200.
	#[error("HTTP status {status} for {method}: {body}")]
	HttpStatus {
		/// The JSON-RPC method called.
		method: String,
		/// The HTTP status code.
		status: u16,
		/// The start of the response body.
		body: String,
	},
	/// The response body is not a JSON-RPC 2.0 response.
	#[error("invalid JSON-RPC response to {method}: {reason}")]
	InvalidResponse {
		/// The JSON-RPC method called.
		method: String,
		/// What is wrong with it.
		reason: String,
	},
	/// The node answered with a JSON-RPC error object.
	#[error("{method} failed with JSON-RPC error {code}: {message}{}", data_suffix(.data))]
	Rpc {
		/// The JSON-RPC method called.
		method: String,
		/// The error code.
		code: i64,
		/// The error message.
		message: String,
		/// The error's `data`, if any, as JSON text.
		data: Option<String>,
	},
	/// The result has an unexpected shape or cannot be decoded.
	#[error("cannot decode {what}: {reason}")]
	Decode {
		/// What was being decoded.
		what: String,
		/// Why it failed.
		reason: String,
	},
	/// A caller-supplied argument is out of range (e.g. longer than the runtime allows).
	#[error("invalid argument: {0}")]
	InvalidArgument(String),
	/// The extrinsic was included but its dispatch failed.
	#[error("extrinsic {tx_hash} in block #{block_number} failed: {error}")]
	DispatchFailed {
		/// Hash of the extrinsic.
		tx_hash: String,
		/// Block it was included in.
		block_number: u32,
		/// The dispatch error, with the pallet error's name when known.
		error: String,
	},
	/// A signature or key does not check out locally.
	#[error("verification failed: {0}")]
	Verification(String),
	/// Something did not happen within the given time.
	#[error("timed out after {}s waiting for {what}", waited.as_secs())]
	Timeout {
		/// What was awaited.
		what: String,
		/// How long.
		waited: Duration,
	},
}

fn data_suffix(data: &Option<String>) -> String {
	data.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
	/// An [`Error::Decode`] for `what`.
	pub fn decode(what: impl Into<String>, reason: impl ToString) -> Self {
		Self::Decode { what: what.into(), reason: reason.to_string() }
	}
}
