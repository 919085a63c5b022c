//! Errors of the relayer.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The configuration is invalid.
	#[error("configuration: {0}")]
	Config(String),
	/// The database cannot be opened, read or written.
	#[error("database: {0}")]
	Database(String),
	/// The database was written for another QSign chain than the node serves.
	#[error(
		"the database belongs to QSign chain {stored}, but the node serves chain {connected}: \
		 use another database file for this chain (or delete this one if that chain is gone)"
	)]
	OtherChain {
		/// Genesis hash the database was written for.
		stored: String,
		/// Genesis hash of the chain the node serves.
		connected: String,
	},
	/// The QSign node failed or answered something unexpected.
	#[error("QSign node: {0}")]
	QSign(String),
	/// A destination chain's RPC could not be reached (refused, timed out, garbage).
	#[error("destination chain {chain_id}: {message}")]
	Destination {
		/// The destination chain.
		chain_id: u64,
		/// What failed.
		message: String,
	},
	/// A destination chain's node answered a call with a JSON-RPC error (it is up).
	#[error("destination chain {chain_id} refused: {message}")]
	DestinationRefused {
		/// The destination chain.
		chain_id: u64,
		/// Its answer.
		message: String,
	},
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
	/// An [`Error::QSign`] from anything printable.
	pub fn qsign(e: impl std::fmt::Display) -> Self {
		Self::QSign(e.to_string())
	}
}
