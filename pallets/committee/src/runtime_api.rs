//! Runtime API of pallet-committee: the pending handover, for the validators' MPC worker. (The
//! current committee is read through pallet-qsign's `QSignApi::committee`, unchanged for
//! clients.)

use qsign_primitives::committee::HandoverInfo;

sp_api::decl_runtime_apis! {
	/// Read access to the committee's handover.
	pub trait CommitteeApi<BlockNumber>
	where
		BlockNumber: codec::Codec,
	{
		/// The handover in progress (next members, threshold, this attempt's dealers,
		/// who attested, the proof hash to sign), if any.
		fn handover() -> Option<HandoverInfo<crate::crypto::AuthorityId, BlockNumber>>;

		/// Every `(reporter, culprit)` ban reported in the current committee (member
		/// indices): signer sets never hold both members of a pair.
		fn banned_pairs() -> alloc::vec::Vec<(u32, u32)>;

		/// Members of the current committee (indices) that may be chosen to sign: their last
		/// heartbeat is recent (see `Pallet::heartbeat`).
		fn live_members() -> alloc::vec::Vec<u32>;

		/// Blocks between a member's heartbeats.
		fn heartbeat_interval() -> BlockNumber;
	}
}
