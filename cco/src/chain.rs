//! The QSign side, through subxt: finalized blocks, `TransactionSigned` events, request status
//! (the runtime API `QSignApi_request_status`) and the `report_broadcast` extrinsic.

use std::str::FromStr;

use codec::{Decode, DecodeAll, Encode};
use qsign_primitives::request::{RequestInfo, RequestStatus};
use subxt::{
	client::OnlineClientAtBlockImpl,
	config::{polkadot::H256, PolkadotExtrinsicParamsBuilder, RpcConfigFor},
	error::{DispatchError, TransactionEventsError, TransactionFinalizedSuccessError},
	rpcs::{LegacyRpcMethods, RpcClient},
	transactions::TransactionProgress,
	OnlineClient, PolkadotConfig,
};
use subxt_signer::{sr25519::Keypair, SecretUri};

use crate::error::{Error, Result};

/// subxt's configuration for QSign (MultiAddress<AccountId32, ()>, MultiSignature, BlakeTwo256).
pub type QSignConfig = PolkadotConfig;
type Api = OnlineClient<QSignConfig>;

/// The pallet's name in the runtime.
pub const PALLET: &str = "QSign";

/// A `QSign::TransactionSigned` event: a broadcast request's signed transaction is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode)]
pub struct TransactionSigned {
	/// The request.
	pub request_id: u64,
	/// The destination chain.
	pub chain_id: u64,
	/// `keccak256` of the signed raw transaction.
	pub tx_hash: [u8; 32],
}

/// A request as the relayer needs it (from the runtime API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestView {
	/// `pending`, `signed`, `failed`, `expired` or `broadcast`.
	pub status: String,
	/// For `broadcast`: the reported destination block.
	pub destination_block: Option<u64>,
	/// The signed raw transaction, once signed.
	pub signed_tx: Option<Vec<u8>>,
}

/// The runtime API function that returns a request (`QSignApi::request_status`).
pub const REQUEST_STATUS_API: &str = "QSignApi_request_status";

/// How a `report_broadcast` ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportOutcome {
	/// Our report set the request's status (its `Broadcast` event is ours).
	Reported,
	/// Another relayer's report was first; ours was a no-op.
	AlreadyReported,
}

/// A connection to a QSign node.
pub struct QSignChain {
	api: Api,
	legacy: LegacyRpcMethods<RpcConfigFor<QSignConfig>>,
	signer: Keypair,
}

/// The sr25519 key pair of a secret URI (`//Ferdie`, a mnemonic with a path, `0x<seed>`).
///
/// # Errors
///
/// [`Error::Config`] if the URI is not a valid secret URI (the URI is not echoed).
pub fn keypair(suri: &str) -> Result<Keypair> {
	let uri = SecretUri::from_str(suri)
		.map_err(|e| Error::Config(format!("signer is not a valid secret URI: {e}")))?;
	Keypair::from_uri(&uri).map_err(|e| Error::Config(format!("signer: {e}")))
}

impl QSignChain {
	/// Connects to the node at `url` (ws:// or wss://).
	///
	/// # Errors
	///
	/// [`Error::QSign`] if the node cannot be reached or its metadata read.
	pub async fn connect(url: &str, signer: Keypair) -> Result<Self> {
		let rpc = RpcClient::from_insecure_url(url)
			.await
			.map_err(|e| Error::QSign(format!("cannot connect to {url}: {e}")))?;
		let config = PolkadotConfig::builder().use_historic_types(false).build();
		let api =
			Api::from_rpc_client_with_config(config, rpc.clone()).await.map_err(Error::qsign)?;
		let legacy = LegacyRpcMethods::new(rpc.clone());
		Ok(Self { api, legacy, signer })
	}

	/// The reporting account (SS58).
	pub fn signer_account(&self) -> String {
		self.signer.public_key().to_account_id().to_string()
	}

	/// The genesis hash of the chain the node serves (which chain this is).
	///
	/// # Errors
	///
	/// [`Error::QSign`] if the node does not answer.
	pub async fn genesis_hash(&self) -> Result<[u8; 32]> {
		let hash = self.legacy.genesis_hash().await.map_err(Error::qsign)?;
		Ok(hash.0)
	}

	/// The number of the latest finalized block.
	pub async fn finalized_number(&self) -> Result<u32> {
		let hash = self.legacy.chain_get_finalized_head().await.map_err(Error::qsign)?;
		let header = self
			.legacy
			.chain_get_header(Some(hash))
			.await
			.map_err(Error::qsign)?
			.ok_or_else(|| Error::QSign(format!("no header for finalized block {hash:?}")))?;
		u32::try_from(header.number)
			.map_err(|_| Error::QSign(format!("block number {} out of range", header.number)))
	}

	/// The hash of block `number` and the `TransactionSigned` events in it.
	///
	/// # Errors
	///
	/// [`Error::QSign`], e.g. when the node no longer has the block's state (pruned: follow
	/// an archive node, `--state-pruning archive-canonical`).
	pub async fn signed_transactions(&self, number: u32) -> Result<(H256, Vec<TransactionSigned>)> {
		let at = self
			.api
			.at_block(u64::from(number))
			.await
			.map_err(|e| Error::QSign(format!("block #{number}: {e}")))?;
		let events =
			at.events().fetch().await.map_err(|e| {
				Error::QSign(format!("events of block #{number} (state pruned? {e})"))
			})?;
		let mut found = Vec::new();
		for event in events.iter() {
			let event = event.map_err(|e| Error::QSign(format!("block #{number} events: {e}")))?;
			if event.pallet_name() == PALLET && event.event_name() == "TransactionSigned" {
				let signed = TransactionSigned::decode(&mut event.field_bytes()).map_err(|e| {
					Error::QSign(format!("block #{number}: bad TransactionSigned event: {e}"))
				})?;
				found.push(signed);
			}
		}
		Ok((at.block_hash(), found))
	}

	/// A request at block `at` (latest finalized if `None`), or `None` if the chain does not
	/// have it (never made, or pruned). Read through the runtime API (`QSignApi_request_status`
	/// with `state_call`), which every node of the chain serves: no node-specific RPC needed.
	pub async fn request(&self, request_id: u64, at: Option<H256>) -> Result<Option<RequestView>> {
		let at = match at {
			Some(at) => at,
			None => self.legacy.chain_get_finalized_head().await.map_err(Error::qsign)?,
		};
		let bytes = self
			.legacy
			.state_call(REQUEST_STATUS_API, Some(&request_id.encode()), Some(at))
			.await
			.map_err(|e| Error::QSign(format!("{REQUEST_STATUS_API}({request_id}): {e}")))?;
		let info = Option::<RequestInfo<[u8; 32], u32>>::decode_all(&mut bytes.as_slice())
			.map_err(|e| {
				Error::QSign(format!("{REQUEST_STATUS_API}({request_id}): bad answer: {e}"))
			})?;
		Ok(info.map(|info| {
			let (status, destination_block) = match info.status {
				RequestStatus::Pending => ("pending", None),
				RequestStatus::Signed { .. } => ("signed", None),
				RequestStatus::Failed { .. } => ("failed", None),
				RequestStatus::Expired => ("expired", None),
				RequestStatus::Broadcast { destination_block, .. } => {
					("broadcast", Some(destination_block))
				}
			};
			RequestView { status: status.into(), destination_block, signed_tx: info.signed_tx }
		}))
	}

	/// The next nonce of the reporting account, counting transactions in the node's pool.
	pub async fn next_nonce(&self) -> Result<u64> {
		self.legacy
			.system_account_next_index(&self.signer.public_key().to_account_id())
			.await
			.map_err(Error::qsign)
	}

	/// Submits `report_broadcast(request_id, tx_hash, destination_block)` with `nonce`; the
	/// returned handle waits for its outcome.
	pub async fn submit_report(
		&self,
		request_id: u64,
		tx_hash: [u8; 32],
		destination_block: u64,
		nonce: u64,
	) -> Result<PendingReport> {
		let call = subxt::dynamic::tx(
			PALLET,
			"report_broadcast",
			(request_id, tx_hash, destination_block),
		);
		let params =
			PolkadotExtrinsicParamsBuilder::<QSignConfig>::new().mortal(64).nonce(nonce).build();
		let progress = self
			.api
			.tx()
			.await
			.map_err(Error::qsign)?
			.sign_and_submit_then_watch(&call, &self.signer, params)
			.await
			.map_err(|e| Error::QSign(format!("report_broadcast({request_id}): {e}")))?;
		Ok(PendingReport { request_id, progress })
	}
}

/// A submitted `report_broadcast`.
pub struct PendingReport {
	request_id: u64,
	progress: TransactionProgress<QSignConfig, OnlineClientAtBlockImpl<QSignConfig>>,
}

impl PendingReport {
	/// Waits until the report is finalized.
	///
	/// # Errors
	///
	/// [`Error::QSign`] with the pallet error's name when the report failed (e.g.
	/// `QSign::UnknownRequest`), or the pool's reason when it was dropped.
	pub async fn outcome(self) -> Result<ReportOutcome> {
		let id = self.request_id;
		match self.progress.wait_for_finalized_success().await {
			Ok(events) => {
				let ours = events.iter().flatten().any(|event| {
					event.pallet_name() == PALLET && event.event_name() == "Broadcast"
				});
				Ok(if ours { ReportOutcome::Reported } else { ReportOutcome::AlreadyReported })
			}
			Err(TransactionFinalizedSuccessError::SuccessError(
				TransactionEventsError::ExtrinsicFailed(DispatchError::Module(module)),
			)) => Err(Error::QSign(format!("report_broadcast({id}) failed: {module}"))),
			Err(e) => Err(Error::QSign(format!("report_broadcast({id}): {e}"))),
		}
	}
}
