//! The node's JSON-RPC extensions: account nonces (`system_accountNextIndex`), fee queries and
//! QSign (`qsign_requestStatus`, `qsign_keyInfo` with the key's Ethereum and Bitcoin addresses)
//! and the MPC worker's own measurements (`qsign_signingTimes`, `qsign_mpcTraffic`).
//! The standard Substrate RPCs (chain, state, author, system) come from sc-service.

use std::sync::Arc;

use jsonrpsee::RpcModule;
use qsign_primitives::address::BitcoinNetwork;
use qsign_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC extensions need from the node.
pub struct FullDeps<C, P> {
	/// The client instance to use.
	pub client: Arc<C>,
	/// Transaction pool instance.
	pub pool: Arc<P>,
	/// The MPC worker's stage times and traffic (`qsign_signingTimes`, `qsign_mpcTraffic`).
	pub measurements: Arc<crate::mpc::measurements::Measurements>,
}

/// Builds the node's RPC extensions.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>,
	C: HeaderBackend<Block> + HeaderMetadata<Block, Error = BlockChainError> + 'static,
	C: Send + Sync + 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	C::Api: pallet_qsign_rpc::QSignRuntimeApi<Block, AccountId, BlockNumber>,
	P: TransactionPool + 'static,
{
	use pallet_qsign_rpc::{QSign, QSignApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, measurements } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	// Bitcoin addresses are shown for testnet (`tb1...`) on this test chain.
	module.merge(QSign::new(client, BitcoinNetwork::Testnet).into_rpc())?;
	module.merge(crate::mpc::measurements::rpc_module(measurements))?;

	Ok(module)
}
