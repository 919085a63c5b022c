//! A destination chain, through alloy's HTTP JSON-RPC provider: send a signed raw transaction,
//! find its receipt, read the head. Errors are classified so that the relayer knows which
//! ones to retry.

use std::time::Duration;

use alloy::{
	primitives::B256,
	providers::{DynProvider, Provider, ProviderBuilder},
	transports::{http::reqwest, RpcError, TransportError, TransportErrorKind},
};

use crate::{
	config::Destination,
	error::{Error, Result},
};

/// How long one destination RPC call may take.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(20);

/// Why the destination refused or could not take a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
	/// The node already has it (in its pool or chain): as good as sent.
	AlreadyKnown,
	/// The sender's nonce is past this transaction's: either it is already included, or
	/// another transaction used the nonce.
	NonceTooLow(String),
	/// Any other refusal (underpriced, insufficient funds, …): retried with backoff.
	Rejected(String),
	/// The node could not be reached or answered garbage: retried with backoff.
	Unreachable(String),
}

impl std::fmt::Display for SendError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			SendError::AlreadyKnown => write!(f, "already known"),
			SendError::NonceTooLow(m) => write!(f, "nonce too low ({m})"),
			SendError::Rejected(m) => write!(f, "rejected: {m}"),
			SendError::Unreachable(m) => write!(f, "unreachable: {m}"),
		}
	}
}

/// Classifies an error of `eth_sendRawTransaction`.
pub fn classify(error: &TransportError) -> SendError {
	match error {
		RpcError::ErrorResp(payload) => classify_message(&payload.message),
		RpcError::Transport(TransportErrorKind::HttpError(http)) => {
			SendError::Unreachable(format!("HTTP {}: {}", http.status, http.body))
		}
		RpcError::Transport(kind) => SendError::Unreachable(kind.to_string()),
		other => SendError::Unreachable(other.to_string()),
	}
}

/// Classifies a JSON-RPC error message (nodes differ in codes, not in these words).
pub fn classify_message(message: &str) -> SendError {
	let lower = message.to_ascii_lowercase();
	if lower.contains("already known")
		|| lower.contains("known transaction")
		|| lower.contains("already imported")
		|| lower.contains("transaction already exists")
	{
		SendError::AlreadyKnown
	} else if lower.contains("nonce too low") || lower.contains("nonce is too low") {
		SendError::NonceTooLow(message.to_string())
	} else {
		SendError::Rejected(message.to_string())
	}
}

/// A transaction's receipt, as far as the relayer cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inclusion {
	/// The block that includes it.
	pub block: u64,
	/// Whether it executed successfully (a reverted transaction is included all the same).
	pub success: bool,
}

/// A connection to one destination chain.
#[derive(Clone)]
pub struct DestinationChain {
	/// Its configuration.
	pub config: Destination,
	provider: DynProvider,
}

impl DestinationChain {
	/// A provider for `config.rpc_url` (no I/O yet).
	///
	/// # Errors
	///
	/// [`Error::Config`] if the URL does not parse.
	pub fn new(config: Destination) -> Result<Self> {
		let url: reqwest::Url = config
			.rpc_url
			.parse()
			.map_err(|e| Error::Config(format!("destination {}: rpc_url: {e}", config.chain_id)))?;
		// reqwest's TLS uses the process-wide rustls provider: ring (installing twice is fine).
		let _ = rustls::crypto::ring::default_provider().install_default();
		let http = reqwest::Client::builder()
			.timeout(RPC_TIMEOUT)
			.build()
			.map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
		let provider = ProviderBuilder::new()
			.disable_recommended_fillers()
			.connect_reqwest(http, url)
			.erased();
		Ok(Self { config, provider })
	}

	/// A call's error: an answer (a JSON-RPC error) or a failure to reach the node.
	fn error(&self, what: &str, e: TransportError) -> Error {
		let chain_id = self.config.chain_id;
		let message = format!("{what}: {e}");
		match e {
			RpcError::ErrorResp(_) => Error::DestinationRefused { chain_id, message },
			_ => Error::Destination { chain_id, message },
		}
	}

	/// Checks that the endpoint serves the configured chain id.
	///
	/// # Errors
	///
	/// [`Error::Config`] if it serves another chain; [`Error::Destination`] if it cannot be
	/// asked (or [`Error::DestinationRefused`] if it refuses).
	pub async fn check_chain_id(&self) -> Result<()> {
		let id = self.provider.get_chain_id().await.map_err(|e| self.error("eth_chainId", e))?;
		if id != self.config.chain_id {
			return Err(Error::Config(format!(
				"destination chain {}: {} serves chain {id}",
				self.config.chain_id, self.config.rpc_url
			)));
		}
		Ok(())
	}

	/// The latest block number.
	pub async fn head(&self) -> Result<u64> {
		self.provider.get_block_number().await.map_err(|e| self.error("eth_blockNumber", e))
	}

	/// Sends a signed raw transaction.
	pub async fn send(&self, raw_tx: &[u8]) -> std::result::Result<(), SendError> {
		match self.provider.send_raw_transaction(raw_tx).await {
			Ok(_pending) => Ok(()),
			Err(e) => match classify(&e) {
				SendError::AlreadyKnown => Ok(()),
				other => Err(other),
			},
		}
	}

	/// Where `tx_hash` was included, if it was.
	pub async fn inclusion(&self, tx_hash: [u8; 32]) -> Result<Option<Inclusion>> {
		let receipt = self
			.provider
			.get_transaction_receipt(B256::from(tx_hash))
			.await
			.map_err(|e| self.error("eth_getTransactionReceipt", e))?;
		Ok(receipt
			.and_then(|r| r.block_number.map(|block| Inclusion { block, success: r.status() })))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn node_messages_are_classified() {
		assert_eq!(classify_message("already known"), SendError::AlreadyKnown);
		assert_eq!(classify_message("Known transaction: 0xab"), SendError::AlreadyKnown);
		assert!(matches!(
			classify_message("nonce too low: next nonce 3, tx nonce 1"),
			SendError::NonceTooLow(_)
		));
		assert!(matches!(
			classify_message("replacement transaction underpriced"),
			SendError::Rejected(_)
		));
		assert!(matches!(
			classify_message("insufficient funds for gas * price + value"),
			SendError::Rejected(_)
		));
	}

	#[tokio::test]
	async fn an_unreachable_node_is_an_error_not_a_panic() {
		let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
		let chain = DestinationChain::new(Destination {
			chain_id: 1,
			rpc_url: format!("http://127.0.0.1:{port}"),
			confirmations: 1,
		})
		.unwrap();
		assert!(matches!(chain.send(&[0x02, 0xc0]).await, Err(SendError::Unreachable(_))));
		assert!(chain.head().await.unwrap_err().to_string().contains("destination chain 1"));
	}

	#[test]
	fn a_bad_url_is_a_configuration_error() {
		let error = DestinationChain::new(Destination {
			chain_id: 1,
			rpc_url: "http://[::1".into(),
			confirmations: 1,
		})
		.err()
		.unwrap();
		assert!(error.to_string().contains("rpc_url"));
	}
}
