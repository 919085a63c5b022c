//! [`Client`]: typed reads of a node, signed submissions to pallet-qsign, and waiting for
//! inclusion and results.

use std::{
	collections::{BTreeMap, HashMap, HashSet},
	sync::Mutex,
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use pallet_qsign_rpc::{RpcKeyInfo, RpcRequest};
use qsign_primitives::request::{CommitteeInfo, KeyId, PublicKey, RequestId};
use qsign_runtime::{AccountId, BlockNumber, Hash, Nonce, RuntimeCall};
use serde_json::{json, Value};
use sp_core::crypto::Ss58Codec;

use crate::{
	error::{Error, Result},
	events::{decode_events, events_storage_key, EventRecord, Inclusion},
	from_hex,
	rpc::RpcClient,
	to_hex,
	tx::{
		extrinsic_hash, request_broadcast_call, request_key_call, request_signature_call,
		sign_extrinsic, ChainInfo,
	},
	types::{Key, Request},
	Payload, Signer,
};

/// The committee as the runtime API `QSignApi_committee` reports it.
pub type Committee = CommitteeInfo<pallet_qsign::crypto::AuthorityId>;

/// How often the waiting functions poll the node.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A blocking client for one `qsign-node`.
///
/// The chain's genesis hash and runtime version (needed to sign) are fetched on first use and
/// cached; [`Client::refresh_chain_info`] fetches them again (e.g. after a runtime upgrade).
#[derive(Debug)]
pub struct Client {
	rpc: RpcClient,
	chain: Mutex<Option<ChainInfo>>,
}

/// A block's number and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRef {
	/// The block number.
	pub number: BlockNumber,
	/// The block hash.
	pub hash: Hash,
}

impl Client {
	/// A client for the node at `url` (`http://host:port`). Does not connect yet.
	///
	/// # Errors
	///
	/// [`Error::InvalidUrl`] if `url` cannot be parsed.
	pub fn new(url: &str) -> Result<Self> {
		Ok(Self::from_rpc(RpcClient::new(url)?))
	}

	/// A client over a configured [`RpcClient`] (timeouts, size limit).
	pub fn from_rpc(rpc: RpcClient) -> Self {
		Self { rpc, chain: Mutex::new(None) }
	}

	/// The underlying JSON-RPC client, for methods this type has no function for.
	pub fn rpc(&self) -> &RpcClient {
		&self.rpc
	}

	/// The node's URL.
	pub fn url(&self) -> &str {
		self.rpc.url()
	}

	// ---- Chain ----

	/// Genesis hash and runtime version, fetched once and cached.
	///
	/// # Errors
	///
	/// RPC errors of `chain_getBlockHash` and `state_getRuntimeVersion`.
	pub fn chain_info(&self) -> Result<ChainInfo> {
		if let Some(info) = *self.chain.lock().unwrap_or_else(|e| e.into_inner()) {
			return Ok(info);
		}
		self.refresh_chain_info()
	}

	/// Fetches genesis hash and runtime version again and caches them.
	///
	/// # Errors
	///
	/// RPC errors of `chain_getBlockHash` and `state_getRuntimeVersion`.
	pub fn refresh_chain_info(&self) -> Result<ChainInfo> {
		let genesis_hash = self
			.block_hash(0)?
			.ok_or_else(|| Error::decode("genesis hash", "the node has no block 0"))?;
		let version = self.rpc.call("state_getRuntimeVersion", json!([]))?;
		let field = |name: &str| {
			version
				.get(name)
				.and_then(Value::as_u64)
				.and_then(|v| u32::try_from(v).ok())
				.ok_or_else(|| Error::decode("runtime version", format!("no {name} in {version}")))
		};
		let info = ChainInfo {
			genesis_hash,
			spec_version: field("specVersion")?,
			transaction_version: field("transactionVersion")?,
		};
		*self.chain.lock().unwrap_or_else(|e| e.into_inner()) = Some(info);
		Ok(info)
	}

	/// The hash of block `number` on the node's best chain, `None` if there is none (yet).
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn block_hash(&self, number: BlockNumber) -> Result<Option<Hash>> {
		let result = self.rpc.call("chain_getBlockHash", json!([number]))?;
		optional_hash("chain_getBlockHash", &result)
	}

	/// The best block (number and hash).
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn best_block(&self) -> Result<BlockRef> {
		let result = self.rpc.call("chain_getBlockHash", json!([]))?;
		let hash = optional_hash("chain_getBlockHash", &result)?
			.ok_or_else(|| Error::decode("best block hash", "null"))?;
		let number = self
			.block_number(hash)?
			.ok_or_else(|| Error::decode("best block header", "the node forgot its best block"))?;
		Ok(BlockRef { number, hash })
	}

	/// The best block's number.
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn best_number(&self) -> Result<BlockNumber> {
		let header = self.rpc.call("chain_getHeader", json!([]))?;
		header_number(&header)
	}

	/// The last finalized block (number and hash).
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn finalized_block(&self) -> Result<BlockRef> {
		let result = self.rpc.call("chain_getFinalizedHead", json!([]))?;
		let hash = optional_hash("chain_getFinalizedHead", &result)?
			.ok_or_else(|| Error::decode("finalized head", "null"))?;
		let number = self
			.block_number(hash)?
			.ok_or_else(|| Error::decode("finalized header", "the node has no such header"))?;
		Ok(BlockRef { number, hash })
	}

	/// The last finalized block's number.
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn finalized_number(&self) -> Result<BlockNumber> {
		Ok(self.finalized_block()?.number)
	}

	/// The number of the block with `hash`, `None` if the node does not know it.
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn block_number(&self, hash: Hash) -> Result<Option<BlockNumber>> {
		let header = self.rpc.call("chain_getHeader", json!([to_hex(hash.as_bytes())]))?;
		if header.is_null() {
			return Ok(None);
		}
		header_number(&header).map(Some)
	}

	/// The encoded extrinsics of the block with `hash`, `None` if the node does not know it.
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn block_extrinsics(&self, hash: Hash) -> Result<Option<Vec<Vec<u8>>>> {
		let block = self.rpc.call("chain_getBlock", json!([to_hex(hash.as_bytes())]))?;
		if block.is_null() {
			return Ok(None);
		}
		let extrinsics = block
			.pointer("/block/extrinsics")
			.and_then(Value::as_array)
			.ok_or_else(|| Error::decode("block", "no block.extrinsics"))?;
		extrinsics
			.iter()
			.map(|x| x.as_str().ok_or_else(|| Error::decode("extrinsic", "not a string")))
			.map(|x| x.and_then(|x| from_hex("extrinsic", x)))
			.collect::<Result<Vec<_>>>()
			.map(Some)
	}

	/// The raw value at storage `key` (at `at`, or the best block).
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn storage(&self, key: &[u8], at: Option<Hash>) -> Result<Option<Vec<u8>>> {
		let mut params = vec![json!(to_hex(key))];
		if let Some(at) = at {
			params.push(json!(to_hex(at.as_bytes())));
		}
		match self.rpc.call("state_getStorage", Value::Array(params))? {
			Value::Null => Ok(None),
			Value::String(s) => from_hex("storage value", &s).map(Some),
			other => Err(Error::decode("storage value", format!("unexpected {other}"))),
		}
	}

	/// The events of block `at` (`System::Events`).
	///
	/// # Errors
	///
	/// RPC errors, and [`Error::Decode`] if they are not this runtime's events.
	pub fn events(&self, at: Hash) -> Result<Vec<EventRecord>> {
		decode_events(self.storage(&events_storage_key(), Some(at))?.as_deref())
	}

	/// Calls runtime API function `method` (e.g. `QSignApi_committee`) with SCALE-encoded
	/// `args` and returns the SCALE-encoded result.
	///
	/// # Errors
	///
	/// RPC errors (including the runtime API's own failure).
	pub fn state_call(&self, method: &str, args: &[u8], at: Option<Hash>) -> Result<Vec<u8>> {
		let mut params = vec![json!(method), json!(to_hex(args))];
		if let Some(at) = at {
			params.push(json!(to_hex(at.as_bytes())));
		}
		let result = self.rpc.call("state_call", Value::Array(params))?;
		let text = result.as_str().ok_or_else(|| Error::decode(method, "not a hex string"))?;
		from_hex(method, text)
	}

	/// The next nonce of `account`, counting its transactions in the node's pool.
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn account_next_index(&self, account: &AccountId) -> Result<Nonce> {
		let result = self.rpc.call("system_accountNextIndex", json!([account.to_ss58check()]))?;
		result
			.as_u64()
			.and_then(|n| Nonce::try_from(n).ok())
			.ok_or_else(|| Error::decode("account nonce", result.to_string()))
	}

	// ---- QSign reads ----

	/// The signing committee (members, threshold, root key) at the best block.
	///
	/// # Errors
	///
	/// RPC errors, [`Error::Decode`] if the result is not a `CommitteeInfo`.
	pub fn committee(&self) -> Result<Committee> {
		let bytes = self.state_call("QSignApi_committee", &[], None)?;
		decode_exact("QSignApi_committee result", &bytes)
	}

	/// The committee's root public key, once set.
	///
	/// # Errors
	///
	/// As [`Client::committee`].
	pub fn root_key(&self) -> Result<Option<PublicKey>> {
		Ok(self.committee()?.root_key)
	}

	/// Waits until the committee's root key is set, at most `timeout`.
	///
	/// # Errors
	///
	/// [`Error::Timeout`] if it is not set in time, RPC errors.
	pub fn wait_for_root_key(&self, timeout: Duration) -> Result<PublicKey> {
		poll_until("the committee's root key", timeout, || self.root_key())
	}

	/// A request with its status (at `at`, or the best block); `None` if unknown or pruned.
	///
	/// # Errors
	///
	/// RPC errors, [`Error::Decode`] for a malformed answer.
	pub fn request_status_at(
		&self,
		request_id: RequestId,
		at: Option<Hash>,
	) -> Result<Option<Request>> {
		let at = at.map(|h| to_hex(h.as_bytes()));
		let rpc: Option<RpcRequest<AccountId, BlockNumber>> =
			self.rpc.call_as("qsign_requestStatus", json!([request_id, at]))?;
		rpc.map(Request::try_from).transpose()
	}

	/// A request with its status at the best block; `None` if unknown or pruned.
	///
	/// # Errors
	///
	/// As [`Client::request_status_at`].
	pub fn request_status(&self, request_id: RequestId) -> Result<Option<Request>> {
		self.request_status_at(request_id, None)
	}

	/// A key with its public key and addresses; `None` if there is no such key.
	///
	/// # Errors
	///
	/// RPC errors, [`Error::Decode`] for a malformed answer.
	pub fn key_info(&self, key_id: KeyId) -> Result<Option<Key>> {
		let rpc: Option<RpcKeyInfo<AccountId, BlockNumber>> =
			self.rpc.call_as("qsign_keyInfo", json!([key_id, Value::Null]))?;
		rpc.map(Key::try_from).transpose()
	}

	/// Waits until request `request_id` is no longer pending (signed, failed, expired or
	/// broadcast), at most `timeout`.
	///
	/// # Errors
	///
	/// [`Error::Timeout`], RPC errors, and [`Error::InvalidArgument`] if the request does not
	/// exist.
	pub fn wait_for_request(&self, request_id: RequestId, timeout: Duration) -> Result<Request> {
		poll_until(&format!("request {request_id} to be signed, fail or expire"), timeout, || {
			match self.request_status(request_id)? {
				None => Err(Error::InvalidArgument(format!("no request {request_id} on chain"))),
				Some(request) if request.status.is_final() => Ok(Some(request)),
				Some(_) => Ok(None),
			}
		})
	}

	// ---- Transactions ----

	/// `call` signed by `signer` with `nonce`, SCALE-encoded as `author_submitExtrinsic`
	/// takes it.
	///
	/// # Errors
	///
	/// RPC errors fetching the chain info.
	pub fn sign(&self, signer: &Signer, call: RuntimeCall, nonce: Nonce) -> Result<Vec<u8>> {
		Ok(sign_extrinsic(signer, call, nonce, &self.chain_info()?).encode())
	}

	/// Submits an encoded extrinsic to the node's pool; returns its hash.
	///
	/// # Errors
	///
	/// [`Error::Rpc`] if the pool rejects it (e.g. bad nonce, cannot pay fees), RPC errors.
	pub fn submit_extrinsic(&self, encoded: &[u8]) -> Result<Hash> {
		let result = self.rpc.call("author_submitExtrinsic", json!([to_hex(encoded)]))?;
		let hash = optional_hash("author_submitExtrinsic", &result)?
			.ok_or_else(|| Error::decode("author_submitExtrinsic result", "null"))?;
		let expected = extrinsic_hash(encoded);
		if hash != expected {
			return Err(Error::decode(
				"author_submitExtrinsic result",
				format!("hash {hash:?} is not the extrinsic's hash {expected:?}"),
			));
		}
		Ok(hash)
	}

	/// Signs `call` with `nonce` and submits it; returns the extrinsic hash.
	///
	/// # Errors
	///
	/// As [`Client::sign`] and [`Client::submit_extrinsic`].
	pub fn submit_with_nonce(
		&self,
		signer: &Signer,
		call: RuntimeCall,
		nonce: Nonce,
	) -> Result<Hash> {
		self.submit_extrinsic(&self.sign(signer, call, nonce)?)
	}

	/// Signs `call` with the signer's next nonce (`system_accountNextIndex`, which counts the
	/// node's pool) and submits it; returns the extrinsic hash.
	///
	/// # Errors
	///
	/// As [`Client::submit_with_nonce`].
	pub fn submit(&self, signer: &Signer, call: RuntimeCall) -> Result<Hash> {
		let nonce = self.account_next_index(signer.account_id())?;
		self.submit_with_nonce(signer, call, nonce)
	}

	/// Waits until the extrinsic `tx_hash` is in a best block numbered `since` or later, at
	/// most `timeout`, and returns where it is and what it did.
	///
	/// # Errors
	///
	/// [`Error::Timeout`] (e.g. the pool dropped it), RPC errors.
	pub fn wait_for_inclusion(
		&self,
		tx_hash: Hash,
		since: BlockNumber,
		timeout: Duration,
	) -> Result<Inclusion> {
		let mut found = self.wait_for_inclusions(&[tx_hash], since, timeout)?;
		found.pop().ok_or_else(|| Error::decode("inclusion", "nothing found"))
	}

	/// Waits until all of `tx_hashes` are in best blocks numbered `since` or later, at most
	/// `timeout`; returns their inclusions in the order of `tx_hashes`.
	///
	/// # Errors
	///
	/// [`Error::Timeout`] naming how many are missing, RPC errors.
	pub fn wait_for_inclusions(
		&self,
		tx_hashes: &[Hash],
		since: BlockNumber,
		timeout: Duration,
	) -> Result<Vec<Inclusion>> {
		let start = Instant::now();
		let wanted: HashSet<Hash> = tx_hashes.iter().copied().collect();
		let mut found: HashMap<Hash, Inclusion> = HashMap::new();
		let mut watcher = BlockWatcher::new(since);
		loop {
			for block in watcher.poll(self)? {
				let mut events = None;
				for (index, hash) in block.extrinsic_hashes().into_iter().enumerate() {
					if !wanted.contains(&hash) || found.contains_key(&hash) {
						continue;
					}
					if events.is_none() {
						events = Some(self.events(block.hash)?);
					}
					let records = events.as_deref().unwrap_or_default();
					let index = u32::try_from(index).unwrap_or(u32::MAX);
					found.insert(
						hash,
						Inclusion::from_events(hash, block.hash, block.number, index, records),
					);
				}
			}
			if found.len() == wanted.len() {
				return Ok(tx_hashes.iter().filter_map(|h| found.get(h).cloned()).collect());
			}
			if start.elapsed() >= timeout {
				let missing = tx_hashes.iter().find(|h| !found.contains_key(*h));
				return Err(Error::Timeout {
					what: format!(
						"{} of {} extrinsics to be included (first missing: {})",
						wanted.len() - found.len(),
						wanted.len(),
						missing.map(|h| to_hex(h.as_bytes())).unwrap_or_default()
					),
					waited: start.elapsed(),
				});
			}
			std::thread::sleep(POLL_INTERVAL);
		}
	}

	/// Signs and submits `call` (next nonce), then waits for its inclusion, at most `timeout`.
	/// The dispatch may have failed: see [`Inclusion::ensure_success`].
	///
	/// # Errors
	///
	/// As [`Client::submit`] and [`Client::wait_for_inclusion`].
	pub fn submit_and_watch(
		&self,
		signer: &Signer,
		call: RuntimeCall,
		timeout: Duration,
	) -> Result<Inclusion> {
		let since = self.best_number()?;
		let tx_hash = self.submit(signer, call)?;
		self.wait_for_inclusion(tx_hash, since, timeout)
	}

	// ---- QSign transactions ----

	/// `QSign::request_key(path)` as `signer`: waits (at most `timeout`) for the inclusion and
	/// returns the key (new, or the existing one for the same owner and path).
	///
	/// # Errors
	///
	/// [`Error::InvalidArgument`] for a too long path, [`Error::DispatchFailed`] if the chain
	/// refused (e.g. `QSign(NoRootKey)`), [`Error::Timeout`], RPC errors.
	pub fn request_key(&self, signer: &Signer, path: &[u8], timeout: Duration) -> Result<Key> {
		let inclusion =
			self.submit_and_watch(signer, request_key_call(path)?, timeout)?.ensure_success()?;
		let (key_id, _) = inclusion
			.key()
			.ok_or_else(|| Error::decode("request_key events", "no KeyCreated or KeyExists"))?;
		self.key_info(key_id)?
			.ok_or_else(|| Error::decode("qsign_keyInfo", format!("key {key_id} not found")))
	}

	/// `QSign::request_signature(key_id, payloads, ttl, idempotency_key)` as `signer`: waits
	/// (at most `timeout`) for the inclusion and returns the ids of the requests, one per
	/// payload in order.
	///
	/// # Errors
	///
	/// [`Error::InvalidArgument`] for out-of-bounds arguments, [`Error::DispatchFailed`] if
	/// the chain refused (e.g. `QSign(NotKeyOwner)`), [`Error::Timeout`], RPC errors.
	pub fn request_signature(
		&self,
		signer: &Signer,
		key_id: KeyId,
		payloads: &[Payload],
		ttl: Option<BlockNumber>,
		idempotency_key: Option<[u8; 32]>,
		timeout: Duration,
	) -> Result<Vec<RequestId>> {
		let call = request_signature_call(key_id, payloads, ttl, idempotency_key)?;
		let inclusion = self.submit_and_watch(signer, call, timeout)?.ensure_success()?;
		Ok(inclusion.request_ids())
	}

	/// Asks the committee to sign the unsigned EVM transaction `unsigned_tx` for `chain_id`
	/// and waits until the request is in a block; returns its id. A relayer broadcasts the
	/// signed transaction once the request is `Signed`.
	///
	/// # Errors
	///
	/// Bad arguments, RPC errors, a failed extrinsic (e.g. the transaction's chain id is not
	/// `chain_id`), or no inclusion within `timeout`.
	pub fn request_broadcast(
		&self,
		signer: &Signer,
		key_id: KeyId,
		chain_id: u64,
		unsigned_tx: &[u8],
		ttl: Option<BlockNumber>,
		timeout: Duration,
	) -> Result<RequestId> {
		let call = request_broadcast_call(key_id, chain_id, unsigned_tx, ttl, None)?;
		let inclusion = self.submit_and_watch(signer, call, timeout)?.ensure_success()?;
		inclusion
			.request_ids()
			.first()
			.copied()
			.ok_or_else(|| Error::decode("request_broadcast events", "no request was created"))
	}
}

/// A block seen by a [`BlockWatcher`].
#[derive(Clone, Debug)]
pub struct WatchedBlock {
	/// Its number.
	pub number: BlockNumber,
	/// Its hash.
	pub hash: Hash,
	/// Its encoded extrinsics.
	pub extrinsics: Vec<Vec<u8>>,
}

impl WatchedBlock {
	/// The hashes of its extrinsics, in order.
	pub fn extrinsic_hashes(&self) -> Vec<Hash> {
		self.extrinsics.iter().map(|x| extrinsic_hash(x)).collect()
	}
}

/// Follows a node's best chain and reports each block once.
///
/// Each [`BlockWatcher::poll`] looks at the best block and the [`BlockWatcher::REORG_WINDOW`]
/// blocks below it, and returns the blocks it has not reported yet (in number order): new
/// blocks, and blocks that replaced ones reported before (a short reorganization).
#[derive(Debug)]
pub struct BlockWatcher {
	from: BlockNumber,
	next: BlockNumber,
	seen: BTreeMap<BlockNumber, Vec<Hash>>,
}

impl BlockWatcher {
	/// How far below the best block a poll looks for replaced blocks.
	pub const REORG_WINDOW: BlockNumber = 4;
	/// Most blocks one poll fetches (a watcher far behind catches up over several polls).
	pub const MAX_BLOCKS_PER_POLL: BlockNumber = 256;

	/// A watcher that reports blocks numbered `from` and later.
	pub fn new(from: BlockNumber) -> Self {
		Self { from, next: from, seen: BTreeMap::new() }
	}

	/// Blocks not reported before, in number order.
	///
	/// # Errors
	///
	/// RPC errors.
	pub fn poll(&mut self, client: &Client) -> Result<Vec<WatchedBlock>> {
		let best = client.best_number()?;
		let low = self.next.min(best.saturating_sub(Self::REORG_WINDOW)).max(self.from);
		let high = best.min(low.saturating_add(Self::MAX_BLOCKS_PER_POLL - 1));
		let mut blocks = Vec::new();
		for number in low..=high {
			let Some(hash) = client.block_hash(number)? else { break };
			if self.seen.get(&number).is_some_and(|hashes| hashes.contains(&hash)) {
				continue;
			}
			let Some(extrinsics) = client.block_extrinsics(hash)? else { continue };
			self.seen.entry(number).or_default().push(hash);
			blocks.push(WatchedBlock { number, hash, extrinsics });
		}
		self.next = self.next.max(high.saturating_add(1));
		let keep_from = high.saturating_sub(Self::REORG_WINDOW + 1);
		self.seen = self.seen.split_off(&keep_from);
		Ok(blocks)
	}
}

/// Calls `check` every [`POLL_INTERVAL`] until it returns `Some`, at most `timeout`.
fn poll_until<T>(
	what: &str,
	timeout: Duration,
	mut check: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
	let start = Instant::now();
	loop {
		if let Some(value) = check()? {
			return Ok(value);
		}
		if start.elapsed() >= timeout {
			return Err(Error::Timeout { what: what.into(), waited: start.elapsed() });
		}
		std::thread::sleep(POLL_INTERVAL);
	}
}

/// Decodes all of `bytes` as a `T`.
fn decode_exact<T: Decode>(what: &str, mut bytes: &[u8]) -> Result<T> {
	let value = T::decode(&mut bytes).map_err(|e| Error::decode(what, e))?;
	if !bytes.is_empty() {
		return Err(Error::decode(what, format!("{} trailing bytes", bytes.len())));
	}
	Ok(value)
}

/// A `0x…` block hash, or `None` for JSON `null`.
fn optional_hash(method: &str, value: &Value) -> Result<Option<Hash>> {
	match value {
		Value::Null => Ok(None),
		Value::String(s) => {
			let bytes = from_hex(method, s)?;
			let bytes: [u8; 32] = bytes
				.try_into()
				.map_err(|b: Vec<u8>| Error::decode(method, format!("{}-byte hash", b.len())))?;
			Ok(Some(Hash::from(bytes)))
		}
		other => Err(Error::decode(method, format!("expected a hash, got {other}"))),
	}
}

/// The `number` of a header as JSON-RPC returns it (`"0x…"`).
fn header_number(header: &Value) -> Result<BlockNumber> {
	header
		.get("number")
		.and_then(Value::as_str)
		.and_then(|n| u32::from_str_radix(n.trim_start_matches("0x"), 16).ok())
		.ok_or_else(|| Error::decode("header", format!("no block number in {header}")))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn headers_and_hashes_parse() {
		assert_eq!(header_number(&json!({"number": "0x1f"})).unwrap(), 31);
		assert!(header_number(&json!({"number": 31})).is_err());
		assert!(header_number(&json!({"number": "0xfffffffff"})).is_err());
		let h = format!("0x{}", "11".repeat(32));
		assert_eq!(optional_hash("m", &json!(h)).unwrap(), Some(Hash::repeat_byte(0x11)));
		assert_eq!(optional_hash("m", &Value::Null).unwrap(), None);
		assert!(optional_hash("m", &json!("0x1234")).is_err());
		assert!(optional_hash("m", &json!("zz")).is_err());
	}

	#[test]
	fn committee_info_decodes_exactly() {
		let committee = Committee {
			committee_id: 3,
			authorities: vec![],
			threshold: 1,
			root_key: Some([2; 33]),
		};
		let bytes = committee.encode();
		assert_eq!(decode_exact::<Committee>("c", &bytes).unwrap(), committee);
		assert!(decode_exact::<Committee>("c", &bytes[..bytes.len() - 1]).is_err());
		let mut longer = bytes;
		longer.push(0);
		assert!(decode_exact::<Committee>("c", &longer).is_err());
	}
}
