//! Committee handover (`docs/design/committee-handover.md` §4–5): the genesis key generation
//! and every later change of the committee.
//!
//! While the chain has a pending handover, every participant (the next committee's members and
//! the attempt's dealers) runs:
//! 1. **Shares.** With no root key yet: the DKG among the next members. Otherwise the reshare:
//!    the dealers hand the root key to the next members (`qsign_mpc::ReshareConfig`); run
//!    numbering from `qsign_primitives::committee::handover_participants`. It starts when every
//!    participant is connected; session id `blake2("qsign/reshare" | "qsign/dkg", genesis,
//!    epoch, attempt)`.
//! 2. **Attestation.** A next member seals its new share under the next epoch, then signs a
//!    `HandoverAttestation` (genesis hash, epoch, attempt, index, key) with its `qmpc` key.
//! 3. **Proof.** Once the chain shows every next member attested, the next committee signs the
//!    handover's proof hash under the root key (ε = 0), signers chosen like a request's. Any
//!    member submits the signature; the chain verifies it and switches committees.
//!
//! The current committee keeps signing requests throughout. After the chain switched (seen at a
//! finalized block), every node erases its shares of older epochs.

use super::*;
use qsign_mpc::{DealFault, ReshareConfig, ReshareOutcome};
use qsign_primitives::committee::{
	handover_participants, GenesisReady, HandoverAttestation, Participant,
};

/// Most bytes of sent messages a handover run keeps to send again to a participant that
/// connects anew (a 3-of-5 resharing sends about 1 MiB in all; the largest message is ~140 KiB).
const MAX_SENT_BYTES_PER_HANDOVER_RUN: usize = 16 * 1024 * 1024;

/// A handover run is abandoned when no message came for 60 s, or after 10 minutes (the chain
/// abandons the attempt at its deadline anyway).
const HANDOVER_TIMEOUTS: Timeouts =
	Timeouts { idle: Duration::from_secs(60), total: Duration::from_secs(600) };

/// Our part in a handover attempt.
struct Role {
	/// Everyone taking part, in run order (party `i` is `members[i - 1]`).
	members: Vec<AuthorityId>,
	/// Our key and run index.
	key: AuthorityId,
	party: PartyIndex,
	/// Our index in the next committee (receivers only).
	next_index: Option<u32>,
	/// The dealers: `(run index, old index)`.
	dealers: Vec<(PartyIndex, PartyIndex)>,
}

impl<C, P> MpcWorker<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + BlockchainEvents<Block> + Send + Sync,
	C: 'static,
	C::Api: QSignApi<Block, AccountId, BlockNumber>
		+ QSignCommitteeApi<Block>
		+ CommitteeApi<Block, BlockNumber>,
	P: TransactionPool<Block = Block> + 'static,
{
	/// Our role in `handover`, if we take part (see the module docs).
	fn handover_role(
		&self,
		current: &CommitteeInfo<AuthorityId>,
		handover: &Handover,
	) -> Option<Role> {
		let participants: Vec<Participant<AuthorityId>> =
			handover_participants(&current.authorities, &handover.members, &handover.dealers)?;
		let members: Vec<AuthorityId> = participants.iter().map(|p| p.member.clone()).collect();
		// Prefer our next-committee key: a node rotating its key holds both, and the new one is
		// the one that must receive a share.
		let ours = keys::local_keys(&self.keystore);
		let mine =
			participants.iter().filter(|p| ours.contains(&p.member)).min_by_key(|p| p.run_index)?;
		let next_count = u16::try_from(handover.members.len()).ok()?;
		let dealers = participants
			.iter()
			.filter_map(|p| {
				Some((PartyIndex::new(p.run_index)?, PartyIndex::new(p.dealer_index?)?))
			})
			.collect();
		Some(Role {
			members,
			key: mine.member.clone(),
			party: PartyIndex::new(mine.run_index)?,
			next_index: (mine.run_index <= next_count).then(|| u32::from(mine.run_index) - 1),
			dealers,
		})
	}

	/// One look at a pending handover: run our part of the share generation, attest, or prove.
	pub(super) async fn step_handover(
		&mut self,
		current: &CommitteeInfo<AuthorityId>,
		handover: &Handover,
		number: BlockNumber,
	) {
		if handover.members.len() < 2 || handover.threshold < 2 {
			if !self.warned_small_committee {
				log::warn!(
					target: LOG_TARGET,
					"a committee of {} cannot run threshold ECDSA (at least 2 members needed): \
					 no root key on this chain (use `--chain local` for a signing network)",
					handover.members.len()
				);
				self.warned_small_committee = true;
			}
			return;
		}
		let Some(role) = self.handover_role(current, handover) else { return };
		let (epoch, attempt) = (handover.epoch, handover.attempt);

		// Genesis: say we are online in this attempt, so that a member that is down does not
		// block the key (the next attempt is run by those that said so).
		if current.root_key.is_none() {
			if let Some(index) = role.next_index {
				if self.ready_sent.insert((epoch, attempt)) {
					self.say_ready(handover, &role.key, index).await;
				}
			}
		}

		// A new share of this attempt in hand: attest it (once per attempt), then prove.
		if let Some((e, a, share)) = self.next_share.clone() {
			if (e, a) == (epoch, attempt) {
				let Some(index) = role.next_index else { return };
				if !handover.attested.contains(&index) && self.attested.insert((epoch, attempt)) {
					self.attest_handover(handover, &role.key, index, share.public_key()).await;
				}
				if handover.attested.len() == handover.members.len() {
					self.start_handover_proof(handover, &role, &share, number);
				}
				return;
			}
		}
		// Already attested in this attempt (e.g. before a restart): the share is on disk.
		if let Some(index) = role.next_index {
			if handover.attested.contains(&index) {
				if let Some(share) = self.load_next_share(handover, &role.key) {
					self.next_share = Some((epoch, attempt, share));
				}
				return;
			}
		}
		let running = self.sessions.values().any(|running| {
			matches!(running.purpose, Purpose::Handover { epoch: e, attempt: a } if e == epoch && a == attempt)
		});
		let all_connected = role
			.members
			.iter()
			.all(|member| *member == role.key || self.peers.is_connected(member));
		if running || !all_connected {
			return;
		}
		match current.root_key {
			None => self.start_dkg(handover, &role),
			Some(root_key) => self.start_reshare(current, handover, &role, root_key),
		}
	}

	/// The genesis key generation among the next members.
	fn start_dkg(&mut self, handover: &Handover, role: &Role) {
		let (epoch, attempt) = (handover.epoch, handover.attempt);
		let session_id =
			SessionId(pallet_committee::attempt_session_id(&self.genesis, epoch, attempt, true));
		if self.finished.contains(&session_id) {
			return;
		}
		let (Ok(parties), Ok(threshold)) =
			(u16::try_from(handover.members.len()), u16::try_from(handover.threshold))
		else {
			return;
		};
		if !self.claim_session(session_id) {
			return;
		}
		let config = DkgConfig { session_id, threshold, parties, me: role.party };
		let session = match Dkls23::start_dkg(&config) {
			Ok(mut session) => {
				if self.fault == Some(MpcFault::WrongFragment) {
					session.inject_fault(DealFault::WrongFragment);
				}
				session
			}
			Err(e) => {
				log::error!(target: LOG_TARGET, "cannot run the DKG of epoch {epoch}: {e}");
				self.remember_finished(session_id);
				return;
			}
		};
		let participants = (1..=parties).filter_map(PartyIndex::new).collect();
		self.spawn_handover(session_id, session, participants, wrap_dkg, handover, role);
	}

	/// Our part of resharing the root key to the next committee.
	fn start_reshare(
		&mut self,
		current: &CommitteeInfo<AuthorityId>,
		handover: &Handover,
		role: &Role,
		root_key: [u8; 33],
	) {
		let (epoch, attempt) = (handover.epoch, handover.attempt);
		let session_id =
			SessionId(pallet_committee::attempt_session_id(&self.genesis, epoch, attempt, false));
		if self.finished.contains(&session_id) {
			return;
		}
		let (Ok(new_parties), Ok(new_threshold)) =
			(u16::try_from(handover.members.len()), u16::try_from(handover.threshold))
		else {
			return;
		};
		// Our share in the current committee, if we are in it under one of our keys.
		let old_share = self.share.as_ref().and_then(|(e, share)| {
			(*e == current.committee_id && share.public_key() == root_key).then(|| share.clone())
		});
		if !self.claim_session(session_id) {
			return;
		}
		let config = ReshareConfig {
			session_id,
			public_key: root_key,
			dealers: role.dealers.clone(),
			new_threshold,
			new_parties,
			me: role.party,
		};
		let session = match Dkls23::start_reshare(&config, old_share.as_deref()) {
			Ok(mut session) => {
				if self.fault == Some(MpcFault::WrongFragment) {
					session.inject_fault(DealFault::WrongFragment);
				}
				session
			}
			Err(e) => {
				log::warn!(
					target: LOG_TARGET,
					"cannot take part in the handover to epoch {epoch} (attempt {attempt}): {e}"
				);
				self.remember_finished(session_id);
				return;
			}
		};
		let participants = (1..=role.members.len())
			.filter_map(|i| PartyIndex::new(u16::try_from(i).ok()?))
			.collect();
		self.spawn_handover(session_id, session, participants, wrap_reshare, handover, role);
	}

	fn spawn_handover<S: qsign_mpc::Session + 'static>(
		&mut self,
		session_id: SessionId,
		session: S,
		participants: Vec<PartyIndex>,
		wrap: fn(SessionEvent<S::Output>) -> Event,
		handover: &Handover,
		role: &Role,
	) where
		S::Output: Send + 'static,
	{
		let (epoch, attempt) = (handover.epoch, handover.attempt);
		match sessions::spawn(
			"qsign-handover",
			session,
			participants,
			HANDOVER_TIMEOUTS,
			self.events_tx.clone(),
			wrap,
		) {
			Ok(handle) => {
				log::info!(
					target: LOG_TARGET,
					"handover to epoch {epoch} (attempt {attempt}) started: {}-of-{}, {} dealers, \
					 we are party {}",
					handover.threshold,
					handover.members.len(),
					role.dealers.len(),
					role.party
				);
				self.register(
					session_id,
					Running {
						handle,
						purpose: Purpose::Handover { epoch, attempt },
						members: role.members.clone(),
						me: role.party,
						epoch,
						broadcasts: Default::default(),
						dealings: Default::default(),
						sent: SentMessages::new(MAX_SENT_BYTES_PER_HANDOVER_RUN),
						heard_from: Vec::new(),
					},
				);
			}
			Err(e) => log::error!(target: LOG_TARGET, "starting a handover thread: {e}"),
		}
	}

	/// The share of the next epoch we stored (after a restart).
	fn load_next_share(&mut self, handover: &Handover, key: &AuthorityId) -> Option<Arc<KeyShare>> {
		let root_key = handover.public_key?;
		match self.load_sealed(&root_key, key, handover.epoch) {
			Ok(share) => share.map(Arc::new),
			Err(e) => {
				log::error!(target: LOG_TARGET, "loading our share of epoch {}: {e}", handover.epoch);
				None
			}
		}
	}

	/// A handover run ended with our new share (or, for a dealer that leaves, with nothing).
	pub(super) async fn on_handover_output(
		&mut self,
		epoch: CommitteeId,
		attempt: u32,
		output: Option<KeyShare>,
	) {
		let Some(share) = output else {
			log::info!(
				target: LOG_TARGET,
				"dealt our share for the handover to epoch {epoch} (attempt {attempt})"
			);
			return;
		};
		let Some((handover, role)) = self.view.as_ref().and_then(|view| {
			let handover = view.handover.clone()?;
			let role = self.handover_role(&view.info, &handover)?;
			Some((handover, role))
		}) else {
			return;
		};
		if (handover.epoch, handover.attempt) != (epoch, attempt) {
			log::info!(target: LOG_TARGET, "handover attempt {epoch}/{attempt} is over; share dropped");
			return;
		}
		log::info!(
			target: LOG_TARGET,
			"handover to epoch {epoch} (attempt {attempt}): our share of {} (party {} of {}, \
			 threshold {})",
			hex(&share.public_key()),
			share.me(),
			share.parties(),
			share.threshold()
		);
		let saved = self
			.sealing_key(&role.key, true)
			.and_then(|key| self.shares.save(&role.key, epoch, &share, &key));
		match saved {
			Ok(path) => log::info!(target: LOG_TARGET, "share sealed in {}", path.display()),
			Err(e) => {
				// Without a stored share a restart would lose it: do not attest a key we
				// could not keep.
				log::error!(target: LOG_TARGET, "storing our share: {e}; not attesting");
				return;
			}
		}
		let public_key = share.public_key();
		self.next_share = Some((epoch, attempt, Arc::new(share)));
		if let Some(index) = role.next_index {
			if self.attested.insert((epoch, attempt)) {
				self.attest_handover(&handover, &role.key, index, public_key).await;
			}
		}
	}

	async fn say_ready(&mut self, handover: &Handover, key: &AuthorityId, member_index: u32) {
		let ready = GenesisReady {
			genesis_hash: self.genesis,
			epoch: handover.epoch,
			attempt: handover.attempt,
			member_index,
		};
		match self.signing_keys.sign(key, &ready.signing_payload()) {
			Ok(signature) => {
				let what = format!(
					"readiness for the key generation of epoch {} (attempt {})",
					handover.epoch, handover.attempt
				);
				self.submit(CommitteeCall::ReadyForGenesis { ready, signature }, &what).await;
			}
			Err(e) => log::error!(target: LOG_TARGET, "signing the genesis readiness: {e}"),
		}
	}

	async fn attest_handover(
		&mut self,
		handover: &Handover,
		key: &AuthorityId,
		member_index: u32,
		public_key: [u8; 33],
	) {
		let attestation = HandoverAttestation {
			genesis_hash: self.genesis,
			epoch: handover.epoch,
			attempt: handover.attempt,
			member_index,
			public_key,
		};
		match self.signing_keys.sign(key, &attestation.signing_payload()) {
			Ok(signature) => {
				let call = CommitteeCall::AttestHandover { attestation, signature };
				let what = format!(
					"attestation of epoch {} (attempt {}) for key {}",
					handover.epoch,
					handover.attempt,
					hex(&public_key)
				);
				self.submit(call, &what).await;
			}
			Err(e) => log::error!(target: LOG_TARGET, "signing the handover attestation: {e}"),
		}
	}

	/// The next committee signs the proof hash with its new shares (ε = 0).
	fn start_handover_proof(
		&mut self,
		handover: &Handover,
		role: &Role,
		share: &Arc<KeyShare>,
		number: BlockNumber,
	) {
		let Some(my_index) = role.next_index else { return };
		let (epoch, attempt) = (handover.epoch, handover.attempt);
		let proof_attempt = number.saturating_sub(handover.started_at) / SIGN_ATTEMPT_BLOCKS;
		let session_id = SessionId(sp_io::hashing::blake2_256(
			&(b"qsign/handover-proof", self.genesis, epoch, attempt, proof_attempt).encode(),
		));
		if self.sessions.contains_key(&session_id) || self.finished.contains(&session_id) {
			return;
		}
		let Ok(threshold) = usize::try_from(handover.threshold) else { return };
		let Some(signers) = select_signers(
			&self.genesis,
			u64::MAX - epoch,
			proof_attempt,
			&handover.members,
			threshold,
			|member| *member == role.key || self.peers.is_connected(member),
			// Bans are per committee: the next one starts with fresh shares and none.
			&[],
		) else {
			return;
		};
		let my_party = PartyIndex::new(u16::try_from(my_index + 1).unwrap_or(0));
		let Some(my_party) = my_party.filter(|p| signers.contains(p)) else { return };
		if !self.claim_session(session_id) {
			return;
		}
		let request = SignRequest {
			session_id,
			signers: signers.clone(),
			epsilon: [0; 32],
			message_hash: handover.proof_hash,
		};
		let session = match Dkls23::start_sign(share, &request) {
			Ok(session) => session,
			Err(e) => {
				log::error!(target: LOG_TARGET, "handover proof of epoch {epoch}: {e}");
				self.remember_finished(session_id);
				return;
			}
		};
		match sessions::spawn(
			"qsign-proof",
			session,
			signers,
			SIGN_TIMEOUTS,
			self.events_tx.clone(),
			wrap_sign,
		) {
			Ok(handle) => {
				log::info!(
					target: LOG_TARGET,
					"proving that the committee of epoch {epoch} can sign (attempt {attempt})"
				);
				self.register(
					session_id,
					Running {
						handle,
						purpose: Purpose::HandoverProof {
							epoch,
							attempt,
							proof_hash: handover.proof_hash,
							public_key: share.public_key(),
						},
						members: handover.members.clone(),
						me: my_party,
						epoch,
						broadcasts: Default::default(),
						dealings: Default::default(),
						sent: SentMessages::new(MAX_SENT_BYTES_PER_HANDOVER_RUN),
						heard_from: Vec::new(),
					},
				);
			}
			Err(e) => log::error!(target: LOG_TARGET, "starting a proof thread: {e}"),
		}
	}

	/// The next committee's signature over the proof hash: check it, put it on-chain.
	pub(super) async fn on_handover_proof(
		&mut self,
		epoch: CommitteeId,
		attempt: u32,
		proof_hash: [u8; 32],
		public_key: [u8; 33],
		signature: qsign_mpc::Signature,
	) {
		let bytes = signature.to_bytes();
		if let Err(e) =
			qsign_primitives::signature::verify_signature(&proof_hash, &bytes, &public_key)
		{
			log::error!(target: LOG_TARGET, "our handover proof does not verify ({e:?})");
			return;
		}
		let call = CommitteeCall::ProveHandover { epoch, attempt, signature: bytes };
		self.submit(call, &format!("proof of signing for epoch {epoch} (attempt {attempt})")).await;
	}
}

/// Wraps a reshare's events into the worker's.
fn wrap_reshare(event: SessionEvent<ReshareOutcome>) -> Event {
	match event {
		SessionEvent::Outgoing { session_id, messages } => {
			SessionEvent::Outgoing { session_id, messages }
		}
		SessionEvent::Finished { session_id, result } => SessionEvent::Finished {
			session_id,
			result: result.map(|outcome| match outcome {
				ReshareOutcome::NewShare(share) => Output::Share(share),
				ReshareOutcome::Dealt => Output::Dealt,
			}),
		},
	}
}
