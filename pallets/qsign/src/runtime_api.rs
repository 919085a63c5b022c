//! The runtime API the node's MPC worker and the RPC use to read the pallet.
//!
//! The runtime implements it by calling [`Pallet::committee`](crate::Pallet::committee),
//! [`Pallet::pending_requests`](crate::Pallet::pending_requests),
//! [`Pallet::request_info`](crate::Pallet::request_info) and
//! [`Pallet::key_info`](crate::Pallet::key_info).

use alloc::vec::Vec;
use codec::Codec;
use qsign_primitives::request::{
	CommitteeInfo, KeyId, KeyInfo, PendingRequest, RequestId, RequestInfo,
};

sp_api::decl_runtime_apis! {
	/// Read access to pallet-qsign.
	pub trait QSignApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The signing committee: members (in `authority_index` order), threshold, root key.
		fn committee() -> CommitteeInfo<crate::crypto::AuthorityId>;

		/// Pending requests with an id greater than `after`, in id order, at most `limit`,
		/// each with the message hash, ε and derived public key the signers need.
		fn pending_requests(after: Option<RequestId>, limit: u32) -> Vec<PendingRequest<BlockNumber>>;

		/// A request and its status (until it is pruned).
		fn request_status(request_id: RequestId) -> Option<RequestInfo<AccountId, BlockNumber>>;

		/// A key.
		fn key_info(key_id: KeyId) -> Option<KeyInfo<AccountId, BlockNumber>>;
	}
}
