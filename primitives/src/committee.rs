//! Committee handover types shared by the committee pallet and the node's MPC worker (design:
//! `docs/design/committee-handover.md` §4).
//!
//! A handover moves the committee's root key from the current committee to the next one: `t`
//! old members (the *dealers* of an attempt) reshare it, every next member attests that it
//! stored its share ([`HandoverAttestation`]), and the next committee proves that it can sign
//! by signing [`handover_proof_hash`] under the root key. The chain switches committees in the
//! block that verifies that signature. The genesis key generation is the same handover with
//! no dealers.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::request::{CommitteeId, PublicKey};

/// A next-committee member's statement that it holds its share of `public_key` for the
/// handover `(epoch, attempt)`.
///
/// Signed with the member's `qmpc` session key over [`HandoverAttestation::signing_payload`].
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct HandoverAttestation {
	/// The chain's genesis hash (an attestation for one chain is worthless on another).
	pub genesis_hash: [u8; 32],
	/// The committee being formed.
	pub epoch: CommitteeId,
	/// The attempt of that handover (attestations of an abandoned attempt are worthless).
	pub attempt: u32,
	/// Position of the member in the next committee's member list.
	pub member_index: u32,
	/// The root key the member's share belongs to.
	pub public_key: PublicKey,
}

impl HandoverAttestation {
	/// Domain separator prepended to the encoded attestation before it is signed.
	pub const CONTEXT: &'static [u8] = b"qsign/handover-attestation/v1";

	/// The bytes the member signs: [`Self::CONTEXT`] followed by the SCALE encoding.
	pub fn signing_payload(&self) -> Vec<u8> {
		crate::signing_payload(Self::CONTEXT, self)
	}
}

/// A genesis member's statement that it is online for attempt `attempt` of the genesis key
/// generation. When an attempt runs out of time, the next one is run by the members that said
/// so (if they are at least the full set's threshold): a member that is down at genesis does not
/// block the chain, and gets its share from the handover to the full set that follows.
///
/// Signed with the member's `qmpc` session key over [`GenesisReady::signing_payload`].
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct GenesisReady {
	/// The chain's genesis hash.
	pub genesis_hash: [u8; 32],
	/// The epoch of the pending genesis key generation.
	pub epoch: CommitteeId,
	/// Its current attempt.
	pub attempt: u32,
	/// The member's position in that attempt's member list.
	pub member_index: u32,
}

impl GenesisReady {
	/// Domain separator prepended to the encoded statement before it is signed.
	pub const CONTEXT: &'static [u8] = b"qsign/genesis-ready/v1";

	/// The bytes the member signs: [`Self::CONTEXT`] followed by the SCALE encoding.
	pub fn signing_payload(&self) -> Vec<u8> {
		crate::signing_payload(Self::CONTEXT, self)
	}
}

/// A committee member's statement that it is up and holds its share of the current
/// committee's key, as of block `block`. Signer sets are chosen only among members whose
/// heartbeat the chain recorded recently (design: `docs/design/signer-liveness.md`), so every
/// member computes the same set from the same block.
///
/// Signed with the member's `qmpc` session key over [`Heartbeat::signing_payload`].
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct Heartbeat {
	/// The chain's genesis hash.
	pub genesis_hash: [u8; 32],
	/// The committee the member belongs to.
	pub epoch: CommitteeId,
	/// The member's index in that committee.
	pub member_index: u32,
	/// A block the member saw (a heartbeat is accepted only while that block is recent).
	pub block: u32,
}

impl Heartbeat {
	/// Domain separator prepended to the encoded statement before it is signed.
	pub const CONTEXT: &'static [u8] = b"qsign/heartbeat/v1";

	/// The bytes the member signs: [`Self::CONTEXT`] followed by the SCALE encoding.
	pub fn signing_payload(&self) -> Vec<u8> {
		crate::signing_payload(Self::CONTEXT, self)
	}
}

/// A committee member's report that the threshold-ECDSA library told it to ban another member:
/// the culprit cheated in the oblivious-transfer multiplication of a signing run, in a way that
/// leaks the reporter's reusable OT state (dkls23's `BanCounterparty`). Continuing to sign
/// with the culprit under the same shares would let it extract the key, so once the report is
/// on-chain no signer set contains both members until the committee's shares change.
///
/// Signed with the reporter's `qmpc` session key over [`BanReport::signing_payload`].
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct BanReport {
	/// The chain's genesis hash.
	pub genesis_hash: [u8; 32],
	/// The committee whose shares the culprit attacked (a report is void after a handover).
	pub epoch: CommitteeId,
	/// The reporter's index in that committee.
	pub reporter_index: u32,
	/// The culprit's index in that committee.
	pub culprit_index: u32,
	/// The signing run in which the library gave its verdict.
	pub session_id: [u8; 32],
	/// The library's reason (e.g. `MultiplicationVerificationFailed`), as a short code.
	pub reason: BanReason,
}

impl BanReport {
	/// Domain separator prepended to the encoded report before it is signed.
	pub const CONTEXT: &'static [u8] = b"qsign/ban-report/v1";

	/// The bytes the reporter signs: [`Self::CONTEXT`] followed by the SCALE encoding.
	pub fn signing_payload(&self) -> Vec<u8> {
		crate::signing_payload(Self::CONTEXT, self)
	}
}

/// Why the library asked for a ban (dkls23 0.6.2's ban-carrying abort reasons).
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum BanReason {
	/// The OT-based multiplication's verification failed.
	MultiplicationVerificationFailed,
	/// The culprit's `gamma_u` is inconsistent with its nonce's instance point.
	GammaUInconsistency,
	/// The culprit's `gamma_v` is inconsistent with its public share (OT consistency check).
	OtConsistencyCheckFailed,
	/// Another reason the library marked as requiring a ban.
	Other,
}

/// A committee member's report that a co-signer spoiled a signing run it ran with it: sent
/// nothing (the run timed out waiting for it) or sent something the protocol rejected, naming
/// it. Silence cannot be proven and a rejection only to the reporter, so the report is not
/// evidence against the blamed member: its only effect is that the two do not sign together
/// for a while (the committee pallet's `BlameExclusion`), so the next attempt's signer set
/// leaves the blamed member out wherever the reporter is in it. A false report only costs the
/// reporter its own pairing.
///
/// Signed with the reporter's `qmpc` session key over [`BlameReport::signing_payload`].
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct BlameReport {
	/// The chain's genesis hash.
	pub genesis_hash: [u8; 32],
	/// The committee both are members of.
	pub epoch: CommitteeId,
	/// The reporter's index in that committee.
	pub reporter_index: u32,
	/// The blamed member's index in that committee.
	pub blamed_index: u32,
	/// The signing run it spoiled.
	pub session_id: [u8; 32],
	/// What it did.
	pub reason: Blame,
}

impl BlameReport {
	/// Domain separator prepended to the encoded report before it is signed.
	pub const CONTEXT: &'static [u8] = b"qsign/blame-report/v1";

	/// The bytes the reporter signs: [`Self::CONTEXT`] followed by the SCALE encoding.
	pub fn signing_payload(&self) -> Vec<u8> {
		crate::signing_payload(Self::CONTEXT, self)
	}
}

/// What a blamed member did in a signing run (see [`BlameReport`]).
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Blame {
	/// The run timed out waiting for its messages.
	Silent,
	/// The protocol rejected its message (malformed, or a failed check that names it).
	Misbehaved,
}

/// Domain separator of the next committee's proof of signing.
pub const HANDOVER_PROOF_CONTEXT: &[u8] = b"qsign/handover-proof/v1";

/// The 32-byte hash the next committee signs under the root key (ε = 0) to prove that its
/// shares work: `keccak256(CONTEXT ‖ genesis ‖ SCALE(epoch, attempt, members))`.
pub fn handover_proof_hash<Member: Encode>(
	genesis_hash: &[u8; 32],
	epoch: CommitteeId,
	attempt: u32,
	members: &[Member],
) -> [u8; 32] {
	let mut data = Vec::from(HANDOVER_PROOF_CONTEXT);
	data.extend_from_slice(genesis_hash);
	(epoch, attempt, members).encode_to(&mut data);
	crate::address::keccak256(&data)
}

/// The dealers of attempt `attempt` of a handover from the committee `old` (threshold
/// `threshold`) to `next`: `threshold` positions in `old` (0-based, ascending).
///
/// Members that stay in the next committee are preferred: on even attempts the window of
/// `threshold` consecutive positions is taken from them alone when there are enough of them (a
/// member that leaves, or whose node holds its next key as well as this one, is then never
/// asked to deal), on odd attempts from the whole committee. The window starts at position
/// `attempt mod pool size`, so a member that is down is left out after a few attempts without
/// anyone needing a common view of who is online. Positions in `cannot_deal` (members that lost
/// their share, named by a repair) are never chosen. Empty if `threshold` is 0 or exceeds the
/// members that can deal.
pub fn dealer_positions<Member: PartialEq>(
	old: &[Member],
	next: &[Member],
	threshold: u32,
	attempt: u32,
	cannot_deal: &[u32],
) -> Vec<u32> {
	let all: Vec<u32> = (0..old.len())
		.filter_map(|i| u32::try_from(i).ok())
		.filter(|i| !cannot_deal.contains(i))
		.collect();
	let staying: Vec<u32> = all
		.iter()
		.copied()
		.filter(|&i| old.get(i as usize).is_some_and(|member| next.contains(member)))
		.collect();
	let threshold_len = threshold as usize;
	let pool =
		if attempt.is_multiple_of(2) && staying.len() >= threshold_len { staying } else { all };
	if threshold == 0 || threshold_len > pool.len() {
		return Vec::new();
	}
	let start = attempt as usize % pool.len();
	let mut positions: Vec<u32> =
		(0..threshold_len).map(|k| pool[(start + k) % pool.len()]).collect();
	positions.sort_unstable();
	positions
}

/// One participant of a resharing run, as every participant numbers them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant<Member> {
	/// The member's `qmpc` key.
	pub member: Member,
	/// Its 1-based index in the run: next members are `1..=n'` in next-committee order, then
	/// the dealers that are not in the next committee, in old-committee order.
	pub run_index: u16,
	/// Its 1-based index in the old committee, if it is one of the attempt's dealers.
	pub dealer_index: Option<u16>,
}

/// Everyone taking part in a handover run: the next committee's members and the dealers.
/// `dealers` are 0-based positions in `old` (as [`dealer_positions`] returns them). Returns
/// `None` if an index does not fit (more than `u16::MAX` participants, or a dealer position
/// outside `old`).
pub fn handover_participants<Member: Clone + PartialEq>(
	old: &[Member],
	next: &[Member],
	dealers: &[u32],
) -> Option<Vec<Participant<Member>>> {
	let dealer_of = |member: &Member| -> Option<Option<u16>> {
		for &position in dealers {
			let position_usize = usize::try_from(position).ok()?;
			if old.get(position_usize)? == member {
				return Some(Some(u16::try_from(position + 1).ok()?));
			}
		}
		Some(None)
	};
	let mut out = Vec::with_capacity(next.len() + dealers.len());
	for (i, member) in next.iter().enumerate() {
		out.push(Participant {
			member: member.clone(),
			run_index: u16::try_from(i + 1).ok()?,
			dealer_index: dealer_of(member)?,
		});
	}
	let mut run_index = u16::try_from(next.len()).ok()?;
	for &position in dealers {
		let member = old.get(usize::try_from(position).ok()?)?;
		if next.contains(member) {
			continue;
		}
		run_index = run_index.checked_add(1)?;
		out.push(Participant {
			member: member.clone(),
			run_index,
			dealer_index: Some(u16::try_from(position + 1).ok()?),
		});
	}
	Some(out)
}

/// A handover in progress, as the runtime API reports it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct HandoverInfo<AuthorityId, BlockNumber> {
	/// The committee being formed.
	pub epoch: CommitteeId,
	/// The current attempt (0 first; each abandoned attempt adds one).
	pub attempt: u32,
	/// The next committee's members, in the order that defines each one's index.
	pub members: Vec<AuthorityId>,
	/// The next committee's threshold: `n / 2 + 1`.
	pub threshold: u32,
	/// 0-based positions in the current committee of this attempt's dealers (empty for the
	/// genesis key generation, where there is no key to hand over yet).
	pub dealers: Vec<u32>,
	/// The block this attempt started in.
	pub started_at: BlockNumber,
	/// The last block of this attempt: it is abandoned and retried after it.
	pub deadline: BlockNumber,
	/// Next-committee members (positions) that attested this attempt.
	pub attested: Vec<u32>,
	/// The key they attested (the root key, or for the genesis key generation the new key).
	pub public_key: Option<PublicKey>,
	/// What the next committee signs to complete the handover ([`handover_proof_hash`]).
	pub proof_hash: [u8; 32],
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dealers_prefer_staying_members_and_rotate() {
		let old = ['A', 'B', 'C'];
		// A leaves: even attempts deal from B and C only; odd ones from everyone.
		let next = ['B', 'C', 'D'];
		assert_eq!(dealer_positions(&old, &next, 2, 0, &[]), vec![1, 2]);
		assert_eq!(dealer_positions(&old, &next, 2, 1, &[]), vec![1, 2]);
		assert_eq!(dealer_positions(&old, &next, 2, 3, &[]), vec![0, 1]);
		// Every member is left out by some attempt among the first few.
		let old5 = ['A', 'B', 'C', 'D', 'E'];
		for left_out in 0..5 {
			assert!((0..10).any(|a| !dealer_positions(&old5, &old5, 3, a, &[]).contains(&left_out)));
		}
		// Too few staying members: the whole committee deals.
		assert_eq!(dealer_positions(&old, &['C', 'X', 'Y'], 2, 0, &[]), vec![0, 1]);
		assert!(dealer_positions(&old, &old, 4, 0, &[]).is_empty());
		assert!(dealer_positions::<char>(&[], &[], 0, 0, &[]).is_empty());
	}

	#[test]
	fn a_member_that_lost_its_share_never_deals() {
		let old = ['A', 'B', 'C'];
		for attempt in 0..6 {
			let dealers = dealer_positions(&old, &old, 2, attempt, &[0]);
			assert_eq!(dealers, vec![1, 2], "attempt {attempt}");
		}
		// Too few left to deal: no dealers (the pallet refuses such a repair).
		assert!(dealer_positions(&old, &old, 2, 0, &[0, 1]).is_empty());
	}

	#[test]
	fn participants_are_next_members_then_departing_dealers() {
		// Old committee A, B, C; next committee B, C, D; dealers A and B.
		let participants = handover_participants(&['A', 'B', 'C'], &['B', 'C', 'D'], &[0, 1])
			.expect("indices fit");
		let summary: Vec<(char, u16, Option<u16>)> =
			participants.iter().map(|p| (p.member, p.run_index, p.dealer_index)).collect();
		assert_eq!(
			summary,
			vec![('B', 1, Some(2)), ('C', 2, None), ('D', 3, None), ('A', 4, Some(1))]
		);
		// A dealer position outside the old committee is refused.
		assert!(handover_participants(&['A'], &['A', 'B'], &[3]).is_none());
	}

	#[test]
	fn the_proof_hash_binds_chain_epoch_attempt_and_members() {
		let base = handover_proof_hash(&[1; 32], 2, 0, &[[7u8; 32], [8; 32]]);
		assert_ne!(base, handover_proof_hash(&[2; 32], 2, 0, &[[7u8; 32], [8; 32]]));
		assert_ne!(base, handover_proof_hash(&[1; 32], 3, 0, &[[7u8; 32], [8; 32]]));
		assert_ne!(base, handover_proof_hash(&[1; 32], 2, 1, &[[7u8; 32], [8; 32]]));
		assert_ne!(base, handover_proof_hash(&[1; 32], 2, 0, &[[8u8; 32], [7; 32]]));
		assert_eq!(base, handover_proof_hash(&[1; 32], 2, 0, &[[7u8; 32], [8; 32]]));
	}
}
