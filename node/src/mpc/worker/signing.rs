//! Signing: signer choice, signing runs for pending requests, results and failure votes.
//!
//! **Signer choice.** Members are ordered by `blake2(request id ‖ attempt ‖ member index)`; the
//! signers are the first `t` that are live on-chain (a recent heartbeat, sent only by members
//! holding their share: `docs/design/signer-liveness.md`) and in no reported pair together, as
//! of the block the attempt started in. The attempt is
//! `(block − created_at) / SIGN_ATTEMPT_BLOCKS`, the same on every node, so every member
//! computes the same set, and a set that fails (a member went silent) is replaced by a
//! reshuffled one a few blocks later: a request never depends on one party. The run's session
//! id binds the signer set, so members that read different chain states start runs that do
//! not meet (they time out, nobody is blamed) instead of blaming each other.
//!
//! **Bans.** When the library's verdict on a failed run is that a co-signer must be banned
//! (it cheated in the OT-based multiplication, which leaks our reusable OT state), we never run
//! with it again under this committee's shares, and report it on-chain
//! (`Committee::report_ban`, signed by our `qmpc` key; re-sent until it is in a block). Every
//! node reads the reported pairs from the chain and never picks a signer set holding both
//! members of one, so the choice stays the same on every node.

use super::*;

impl<C, P> MpcWorker<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + BlockchainEvents<Block> + Send + Sync,
	C: 'static,
	C::Api: QSignApi<Block, AccountId, BlockNumber>
		+ QSignCommitteeApi<Block>
		+ CommitteeApi<Block, BlockNumber>,
	P: TransactionPool<Block = Block> + 'static,
{
	pub(super) async fn step_signing(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		number: BlockNumber,
		at: <Block as BlockT>::Hash,
	) {
		let Some((_, share)) = self.share.clone() else { return };
		self.report_bans(me).await;
		let Ok(threshold) = usize::try_from(info.threshold) else { return };
		let pending = self.pending_at(info, threshold, number, at);
		let best = self.client.info().best_hash;
		let mut pending_at_best: Option<Arc<HashSet<RequestId>>> = None;
		// Our signing runs by request, `(attempt, stalled)`, and how many there are: looked up
		// per request below (a burst has thousands pending and hundreds running).
		let mut signing_now = 0;
		let mut running_by_request: HashMap<RequestId, Vec<(u32, bool)>> = HashMap::new();
		for running in self.sessions.values() {
			if let Purpose::Sign { request: r, attempt: a } = &running.purpose {
				signing_now += 1;
				let stalled = running.handle.idle_for() >= STALLED_RUN;
				running_by_request.entry(r.request_id).or_default().push((*a, stalled));
			}
		}
		self.signing_throttled = false;
		for request in pending.iter() {
			if signing_now >= self.max_signing_runs {
				// Full: the next run to finish starts more (`MpcWorker::refill_signing`).
				self.signing_throttled = true;
				break;
			}
			if self.voted.contains(&request.request_id) {
				continue;
			}
			let attempt = number.saturating_sub(request.created_at) / SIGN_ATTEMPT_BLOCKS;
			// We signed it recently: the result is on its way to a block.
			if self.signed.get(&request.request_id).is_some_and(|a| attempt <= a + 1) {
				continue;
			}
			// A retry (attempt ≥ 1) of a request already signed in the best chain, whose block
			// is not finalized yet: the members that were not in the first signer set cannot
			// know it from finalized state, and would start runs nobody joins.
			if attempt > 0 && best != at {
				let at_best = pending_at_best.get_or_insert_with(|| self.pending_ids_at(best));
				if !at_best.contains(&request.request_id) {
					continue;
				}
			}
			// The key must be ours: the chain derived it from the root key we hold a share of.
			if !self.key_checked.contains(&request.request_id) {
				match share.derived_public_key(&request.epsilon) {
					Ok(derived) if derived == request.derived_public_key => {
						self.key_checked.insert(request.request_id);
					}
					_ => {
						self.vote_failure(
							info,
							me,
							request.request_id,
							FailureReason::KeyUnavailable,
						)
						.await;
						continue;
					}
				}
			}
			// Our run of this attempt, or a still progressing run of an earlier one (a loaded
			// machine), is going: let it finish rather than adding a competing run. A stalled
			// run of an earlier attempt (a co-signer went silent or only replays) does not keep
			// us out of this attempt's signer set: the others in it would wait for us in vain.
			let running = running_by_request.get(&request.request_id).is_some_and(|runs| {
				runs.iter().any(|&(a, stalled)| a == attempt || (a < attempt && !stalled))
			});
			if running {
				continue;
			}
			let sessions_before = self.sessions.len();
			// Peers that saw the request in the previous attempt's window (their view of the
			// chain was a little ahead or behind ours) already began that run: join it.
			if attempt > 0 {
				let previous = self
					.signers(info, request, attempt - 1, threshold)
					.map(|signers| self.sign_session_id(request, attempt - 1, &signers));
				if previous.is_some_and(|previous| self.early.contains(&previous))
					&& !self.start_signing(&share, info, me, request, attempt - 1, threshold)
				{
					return;
				}
			}
			if !self.start_signing(&share, info, me, request, attempt, threshold) {
				return;
			}
			signing_now += self.sessions.len().saturating_sub(sessions_before);
		}
	}

	/// The id of the signing run for `request` in `attempt` by `signers`. It binds the
	/// request's content and the signer set, so members that see different chain states, or
	/// chose different signers from different views of who is online, never mix their
	/// messages: their runs simply do not meet (nobody is blamed) and the next attempt
	/// reshuffles.
	fn sign_session_id(
		&self,
		request: &PendingRequest<BlockNumber>,
		attempt: u32,
		signers: &[PartyIndex],
	) -> SessionId {
		let signers: Vec<u16> = signers.iter().map(|party| party.get()).collect();
		SessionId(sp_io::hashing::blake2_256(
			&(
				b"qsign/sign/v2",
				self.genesis,
				request.request_id,
				request.message_hash,
				request.epsilon,
				attempt,
				signers,
			)
				.encode(),
		))
	}

	/// The signers of `request` in `attempt`: members live on-chain (a recent heartbeat), no
	/// reported pair together ([`select_signers`]). Liveness and pairs are the chain's at the
	/// block the attempt started in, the same for every member however far its view has moved
	/// since (a heartbeat lapsing, or a ban or blame landing, in the middle of an attempt takes
	/// effect in the next one instead of splitting the members between two sets).
	fn signers(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		request: &PendingRequest<BlockNumber>,
		attempt: u32,
		threshold: usize,
	) -> Option<Vec<PartyIndex>> {
		let start = request.created_at.saturating_add(attempt.saturating_mul(SIGN_ATTEMPT_BLOCKS));
		let rules = self.signer_rules_at(start, info);
		let live: HashSet<&AuthorityId> =
			rules.live.iter().filter_map(|index| info.authorities.get(*index as usize)).collect();
		select_signers(
			&self.genesis,
			request.request_id,
			attempt,
			&info.authorities,
			threshold,
			|authority| live.contains(authority),
			&rules.banned,
		)
	}

	/// The signer rules ([`SignerRules`]) as of block `number`, for committee `info`: the
	/// view's own when `number` is not behind it, else read at that block (cached). Rules of
	/// another committee (the committee changed since) do not apply: the view's are used.
	fn signer_rules_at(
		&mut self,
		number: BlockNumber,
		info: &CommitteeInfo<AuthorityId>,
	) -> SignerRules {
		let Some(view) = &self.view else { return SignerRules::default() };
		if number >= view.number {
			return view.rules.clone();
		}
		if let Some((at_epoch, rules)) = self.rules_at.get(&number) {
			return if *at_epoch == info.committee_id { rules.clone() } else { view.rules.clone() };
		}
		let current = view.rules.clone();
		let read = self.client.hash(number).ok().flatten().and_then(|hash| {
			let api = self.client.runtime_api();
			let epoch = api.committee(hash).ok()?.committee_id;
			Some((epoch, Self::read_signer_rules(&api, hash, info.authorities.len())))
		});
		let Some((at_epoch, rules)) = read else { return current };
		while self.rules_at.len() >= MAX_RULES_AT {
			self.rules_at.pop_first();
		}
		self.rules_at.insert(number, (at_epoch, rules.clone()));
		if at_epoch == info.committee_id {
			rules
		} else {
			current
		}
	}

	/// Starts our part of signing `request` in `attempt` if we are one of its signers and it
	/// is not running or done. `false` if this node cannot sign (no signing threads).
	fn start_signing(
		&mut self,
		share: &Arc<KeyShare>,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		request: &PendingRequest<BlockNumber>,
		attempt: u32,
		threshold: usize,
	) -> bool {
		let Some(signers) = self.signers(info, request, attempt, threshold) else {
			log::debug!(
				target: LOG_TARGET,
				"request {}: fewer than {threshold} members online, waiting",
				request.request_id
			);
			return true;
		};
		let session_id = self.sign_session_id(request, attempt, &signers);
		if self.sessions.contains_key(&session_id) || self.finished.contains(&session_id) {
			return true;
		}
		let Some(my_party) = PartyIndex::new(me.authority_index as u16 + 1) else { return true };
		if !signers.contains(&my_party) {
			return true;
		}
		// A co-signer we banned whose ban is not on-chain yet: never run with it again.
		if let Some(banned) = signers
			.iter()
			.find(|party| self.bans.contains_key(&(info.committee_id, u32::from(party.get()) - 1)))
		{
			log::debug!(
				target: LOG_TARGET,
				"request {}: not signing with party {banned}, which we banned",
				request.request_id
			);
			self.remember_finished(session_id);
			return true;
		}
		if self.sign_pool.is_none() {
			return false;
		}
		if !self.claim_session(session_id) {
			return true;
		}
		let Some(pool) = self.sign_pool.as_mut() else { return false };
		let sign_request = SignRequest {
			session_id,
			signers: signers.clone(),
			epsilon: request.epsilon,
			message_hash: request.message_hash,
		};
		let fault = match self.fault {
			Some(MpcFault::CorruptMultiplication) => {
				Some(qsign_mpc::SignFault::CorruptMultiplication)
			}
			Some(MpcFault::CorruptFinalShare) => Some(qsign_mpc::SignFault::CorruptFinalShare),
			Some(MpcFault::Equivocate) => Some(qsign_mpc::SignFault::EquivocateFinalShare),
			_ => None,
		};
		let share = share.clone();
		// The first round is computed on the pool's thread, not on the worker's loop.
		let start = move || -> Result<qsign_mpc::Dkls23SignSession, MpcError> {
			let mut session = Dkls23::start_sign(&share, &sign_request)?;
			if let Some(fault) = fault {
				session.inject_fault(fault);
			}
			Ok(session)
		};
		let handle = pool.start(
			session_id,
			start,
			signers.clone(),
			SIGN_TIMEOUTS,
			self.events_tx.clone(),
			wrap_sign,
		);
		self.measurements.record(request.request_id, Stage::RunStarted, measurements::now_ms());
		self.measurements.signing_run_started();
		log::debug!(
			target: LOG_TARGET,
			"signing request {} (attempt {attempt}) with parties {:?}",
			request.request_id,
			signers.iter().map(|p| p.get()).collect::<Vec<_>>()
		);
		self.register(
			session_id,
			Running {
				handle,
				purpose: Purpose::Sign { request: request.clone(), attempt },
				members: info.authorities.clone(),
				me: my_party,
				epoch: info.committee_id,
				broadcasts: Default::default(),
				dealings: Default::default(),
				sent: Default::default(),
				heard_from: Vec::new(),
			},
		);
		true
	}

	/// The pending requests at `at` (block `number`, the block the worker follows: its state
	/// never changes), read once per block and then from memory. A list that could not be read
	/// whole is not kept (the next look reads it again).
	fn pending_at(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		threshold: usize,
		number: BlockNumber,
		at: <Block as BlockT>::Hash,
	) -> Arc<Vec<PendingRequest<BlockNumber>>> {
		if let Some((hash, pending)) = &self.pending_cache {
			if *hash == at {
				return pending.clone();
			}
		}
		let (pending, listing) = self.pending_requests(at);
		let pending = Arc::new(pending);
		if listing == Listing::Failed {
			return pending;
		}
		self.pending_cache = Some((at, pending.clone()));
		// A new block: forget what we kept about requests no longer pending.
		let pending_ids: HashSet<RequestId> = pending.iter().map(|r| r.request_id).collect();
		// Only on final state: a request settled in a block that is not final may still come
		// back, and one created after `number` is simply not in the list yet.
		if number <= self.client.info().finalized_number {
			let last_listed = match listing {
				Listing::Complete => None,
				_ => pending.last().map(|r| r.request_id),
			};
			self.stop_runs_of_settled_requests(info, threshold, number, &pending_ids, last_listed);
		}
		self.signed.retain(|id, _| pending_ids.contains(id));
		self.aborts.retain(|id, _| pending_ids.contains(id));
		self.voted.retain(|id| pending_ids.contains(id));
		self.key_checked.retain(|id| pending_ids.contains(id));
		let now = measurements::now_ms();
		for request in pending.iter() {
			self.measurements.record(request.request_id, Stage::SeenFinal, now);
		}
		pending
	}

	/// Stops our signing runs of requests no longer pending at the final block `number`
	/// (`pending_ids`; signed by another signer set or attempt, failed or expired): nothing they
	/// could produce would be used, and their slots go to requests still waiting. Stopped
	/// quietly, without blame ([`settled_run_stops_quietly`]): a run still progressing, or one
	/// that the only co-signers it never heard from had good reason not to join (they are
	/// signers of the request's previous or next attempt: busy with that run, as under a burst
	/// most runs of a late attempt are). Any other run is left to time out and blame as before:
	/// a member that joins runs and then goes silent, or never joins runs it is chosen for. A
	/// request created after `number`, or listed beyond `last_listed` (a list cut at
	/// `MAX_PENDING_SCAN`), may still be pending: its runs are kept.
	fn stop_runs_of_settled_requests(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		threshold: usize,
		number: BlockNumber,
		pending_ids: &HashSet<RequestId>,
		last_listed: Option<RequestId>,
	) {
		let candidates: Vec<SettledRun> = self
			.sessions
			.iter()
			.filter_map(|(session_id, running)| match &running.purpose {
				Purpose::Sign { request, attempt }
					if request.created_at <= number
						&& !pending_ids.contains(&request.request_id)
						&& last_listed.is_none_or(|last| request.request_id < last) =>
				{
					let never_joined = running
						.handle
						.participants
						.iter()
						.copied()
						.filter(|p| *p != running.me && !running.heard_from.contains(p))
						.collect();
					let stalled = running.handle.idle_for() >= SETTLED_RUN_STALLED;
					Some(SettledRun {
						session_id: *session_id,
						request: request.clone(),
						attempt: *attempt,
						never_joined,
						stalled,
					})
				}
				_ => None,
			})
			.collect();
		let mut stopped = 0;
		for SettledRun { session_id, request, attempt, never_joined, stalled } in candidates {
			let mut excused: Vec<PartyIndex> = Vec::new();
			for neighbour in [attempt.checked_sub(1), attempt.checked_add(1)].into_iter().flatten()
			{
				excused
					.extend(self.signers(info, &request, neighbour, threshold).unwrap_or_default());
			}
			if !settled_run_stops_quietly(&never_joined, &excused, stalled) {
				continue;
			}
			// Dropping the handle stops the run; its broadcasts stay comparable with forwards.
			if let Some(mut running) = self.sessions.remove(&session_id) {
				self.keep_broadcasts_of(session_id, &mut running);
			}
			self.remember_finished(session_id);
			stopped += 1;
		}
		if stopped > 0 {
			log::debug!(
				target: LOG_TARGET,
				"stopped {stopped} signing runs of requests no longer pending"
			);
		}
	}

	/// The ids of the requests pending at `best` (any block: its state never changes), read
	/// once per block: a burst's refills look at them once per finished run.
	fn pending_ids_at(&mut self, best: <Block as BlockT>::Hash) -> Arc<HashSet<RequestId>> {
		if let Some((hash, ids)) = &self.pending_ids_cache {
			if *hash == best {
				return ids.clone();
			}
		}
		let ids: Arc<HashSet<RequestId>> =
			Arc::new(self.pending_requests(best).0.iter().map(|r| r.request_id).collect());
		self.pending_ids_cache = Some((best, ids.clone()));
		ids
	}

	/// After one of our signing runs ended: if the last look at the chain left requests
	/// waiting because `--max-signing-runs` runs were going, start the next ones now
	/// rather than at the next finalized block or tick (up to a second of idle signers).
	pub(super) async fn refill_signing(&mut self) {
		if !self.signing_throttled {
			return;
		}
		let Some(view) = &self.view else { return };
		let (info, me, number, at) = (view.info.clone(), view.me.clone(), view.number, view.at);
		let Some(me) = me else { return };
		// Only with the share of the committee the view is of (`step` loads it).
		if self.share.as_ref().is_some_and(|(epoch, _)| *epoch == info.committee_id) {
			self.step_signing(&info, &me, number, at).await;
		}
	}

	/// The requests pending at `hash`, in id order, and whether that is all of them.
	fn pending_requests(
		&self,
		hash: <Block as BlockT>::Hash,
	) -> (Vec<PendingRequest<BlockNumber>>, Listing) {
		let api = self.client.runtime_api();
		let mut out = Vec::new();
		let mut after = None;
		loop {
			match api.pending_requests(hash, after, PENDING_PAGE) {
				Ok(page) => {
					let full = page.len() as u32 == PENDING_PAGE;
					after = page.last().map(|r| r.request_id);
					out.extend(page);
					if !full {
						return (out, Listing::Complete);
					}
					if out.len() >= MAX_PENDING_SCAN {
						return (out, Listing::Truncated);
					}
				}
				Err(e) => {
					log::warn!(target: LOG_TARGET, "reading pending requests at {hash}: {e}");
					return (out, Listing::Failed);
				}
			}
		}
	}

	pub(super) async fn vote_failure(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		request_id: RequestId,
		reason: FailureReason,
	) {
		if !self.voted.insert(request_id) {
			return;
		}
		let vote = FailureVote {
			committee_id: info.committee_id,
			request_id,
			authority_index: me.authority_index,
			reason,
		};
		match self.signing_keys.sign(&me.public, &vote.signing_payload()) {
			Ok(signature) => {
				log::warn!(target: LOG_TARGET, "voting that request {request_id} failed: {reason:?}");
				let call = CommitteeCall::ReportFailure { vote, signature };
				self.submit(call, &format!("failure vote for request {request_id}")).await;
			}
			Err(e) => log::error!(target: LOG_TARGET, "signing a failure vote: {e}"),
		}
	}

	/// The library told us, in the signing run `session_id` of committee `info`, that party
	/// `culprit` (1-based) must be banned: never run with it again under these shares, and
	/// report it on-chain.
	pub(super) async fn on_ban_verdict(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		session_id: SessionId,
		culprit: PartyIndex,
		reason: &str,
	) {
		let culprit_index = u32::from(culprit.get()) - 1;
		if culprit_index == me.authority_index {
			return;
		}
		let key = (info.committee_id, culprit_index);
		if self.bans.contains_key(&key) {
			return;
		}
		log::warn!(
			target: LOG_TARGET,
			"member {culprit_index} ({:?}) cheated in signing run {session_id}: {reason}. We no \
			 longer sign with it under this committee's shares, and report it on-chain",
			info.authorities.get(culprit_index as usize)
		);
		let report = BanReport {
			genesis_hash: self.genesis,
			epoch: info.committee_id,
			reporter_index: me.authority_index,
			culprit_index,
			session_id: session_id.0,
			reason: ban_reason(reason),
		};
		self.bans.insert(key, (report, None));
		self.report_bans(me).await;
	}

	/// (Re-)submits our ban reports of the current committee that are not on-chain yet, at most
	/// once per [`SIGN_ATTEMPT_BLOCKS`].
	pub(super) async fn report_bans(&mut self, me: &LocalMember) {
		let Some(view) = &self.view else { return };
		let (epoch, number, on_chain) =
			(view.info.committee_id, view.number, view.rules.banned.clone());
		self.bans.retain(|(ban_epoch, _), _| *ban_epoch == epoch);
		let mut due = Vec::new();
		for ((_, culprit), (report, sent_at)) in self.bans.iter_mut() {
			let reported = on_chain.contains(&(me.authority_index, *culprit));
			let recently = sent_at.is_some_and(|at| number < at + SIGN_ATTEMPT_BLOCKS);
			if !reported && !recently && report.reporter_index == me.authority_index {
				*sent_at = Some(number);
				due.push(report.clone());
			}
		}
		for report in due {
			match self.signing_keys.sign(&me.public, &report.signing_payload()) {
				Ok(signature) => {
					let what = format!("ban report on member {}", report.culprit_index);
					self.submit(CommitteeCall::ReportBan { report, signature }, &what).await;
				}
				Err(e) => log::error!(target: LOG_TARGET, "signing a ban report: {e}"),
			}
		}
	}

	/// Blames `blamed` (a co-signer of signing run `session_id`) on-chain for `reason`: the two
	/// then sign together in no run for a while, so the next attempt leaves it out. Once per
	/// member while the chain's exclusion lasts (or [`SIGN_ATTEMPT_BLOCKS`] after a submission
	/// that has not landed yet).
	pub(super) async fn blame(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		session_id: SessionId,
		blamed: PartyIndex,
		reason: Blame,
	) {
		let blamed_index = u32::from(blamed.get()) - 1;
		let Some(view) = &self.view else { return };
		let number = view.number;
		if blamed_index == me.authority_index
			|| view.rules.banned.contains(&(me.authority_index, blamed_index))
			|| self
				.blamed
				.get(&(info.committee_id, blamed_index))
				.is_some_and(|at| number < at + SIGN_ATTEMPT_BLOCKS)
		{
			return;
		}
		self.blamed.retain(|(epoch, _), _| *epoch == info.committee_id);
		self.blamed.insert((info.committee_id, blamed_index), number);
		let report = BlameReport {
			genesis_hash: self.genesis,
			epoch: info.committee_id,
			reporter_index: me.authority_index,
			blamed_index,
			session_id: session_id.0,
			reason,
		};
		match self.signing_keys.sign(&me.public, &report.signing_payload()) {
			Ok(signature) => {
				let what = format!("blame of member {blamed_index} ({reason:?})");
				self.submit(CommitteeCall::ReportBlame { report, signature }, &what).await;
			}
			Err(e) => log::error!(target: LOG_TARGET, "signing a blame report: {e}"),
		}
	}

	pub(super) async fn on_signature(
		&mut self,
		request: PendingRequest<BlockNumber>,
		attempt: u32,
		signature: qsign_mpc::Signature,
	) {
		let bytes = signature.to_bytes();
		// Never put a signature on-chain that does not verify (the chain would refuse it).
		if let Err(e) = qsign_primitives::signature::verify_signature(
			&request.message_hash,
			&bytes,
			&request.derived_public_key,
		) {
			log::error!(
				target: LOG_TARGET,
				"request {}: the signing run produced an invalid signature ({e:?})",
				request.request_id
			);
			return;
		}
		self.measurements.record(request.request_id, Stage::RunFinished, measurements::now_ms());
		self.measurements.signature_produced();
		self.signed.insert(request.request_id, attempt);
		let call =
			CommitteeCall::SubmitSignature { request_id: request.request_id, signature: bytes };
		if self.submit(call, &format!("signature for request {}", request.request_id)).await {
			self.measurements.record(request.request_id, Stage::Submitted, measurements::now_ms());
		}
	}
}

/// One of our signing runs of a request no longer pending, as
/// `MpcWorker::stop_runs_of_settled_requests` weighs it.
struct SettledRun {
	session_id: SessionId,
	request: PendingRequest<BlockNumber>,
	attempt: u32,
	/// Co-signers that never sent the run a signed message.
	never_joined: Vec<PartyIndex>,
	/// No progress for `SETTLED_RUN_STALLED`.
	stalled: bool,
}

/// How a list of pending requests was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Listing {
	/// Every pending request.
	Complete,
	/// The first `MAX_PENDING_SCAN`.
	Truncated,
	/// A runtime call failed part of the way.
	Failed,
}

/// Whether our signing run of a request that is no longer pending is stopped without waiting
/// for its time-out (and so without blame). The co-signers it `never_joined` (never sent it a
/// signed message) must all be `excused`: signers of the request's previous or next attempt,
/// which had that attempt's run to finish first. A run every co-signer joined is stopped while
/// it progresses, and left to time out once it `stalled` (a co-signer went silent in it).
pub fn settled_run_stops_quietly(
	never_joined: &[PartyIndex],
	excused: &[PartyIndex],
	stalled: bool,
) -> bool {
	if never_joined.is_empty() {
		!stalled
	} else {
		never_joined.iter().all(|party| excused.contains(party))
	}
}

/// Whether `aborted` distinct signer sets with us in them, out of a committee of `members`
/// with threshold `threshold`, are every such set there is (`C(members − 1, threshold − 1)`):
/// only then do we vote that a request failed (`SigningAborted`). One dishonest member can
/// abort every run it is chosen for, but never every set with us in it while the committee
/// has another member (a set without it exists), so it cannot make an honest member give a
/// request up; a request that no set can sign expires at its TTL instead.
pub fn every_set_with_us_aborted(aborted: usize, members: usize, threshold: usize) -> bool {
	let (Some(n), Some(k)) = (members.checked_sub(1), threshold.checked_sub(1)) else {
		return false;
	};
	if k > n {
		return false;
	}
	// C(n, k), stopping as soon as it exceeds `aborted`.
	let mut sets: u128 = 1;
	for i in 0..k.min(n - k) {
		sets = sets * (n - i) as u128 / (i + 1) as u128;
		if sets > aborted as u128 {
			return false;
		}
	}
	aborted as u128 >= sets
}

/// Steps the signer search may take: exact for any committee with a few bans, bounded for a
/// pathological ban pattern (the next attempt's order is searched afresh).
const MAX_SIGNER_SEARCH_STEPS: u32 = 10_000;

/// Extends `chosen` to `threshold` members of `candidates[from..]` (in priority order), no two
/// of them a banned pair: the first such set in priority order. `false` if there is none (or
/// the step budget ran out).
fn first_apart_set(
	candidates: &[u32],
	from: usize,
	threshold: usize,
	banned: &[(u32, u32)],
	chosen: &mut Vec<u32>,
	budget: &mut u32,
) -> bool {
	if chosen.len() == threshold {
		return true;
	}
	let apart = |a: u32, b: u32| !banned.contains(&(a, b)) && !banned.contains(&(b, a));
	for position in from..candidates.len() {
		if candidates.len() - position < threshold - chosen.len() || *budget == 0 {
			return false;
		}
		*budget -= 1;
		let candidate = candidates[position];
		if chosen.iter().all(|&other| apart(candidate, other)) {
			chosen.push(candidate);
			if first_apart_set(candidates, position + 1, threshold, banned, chosen, budget) {
				return true;
			}
			chosen.pop();
		}
	}
	false
}

/// The library's ban reason, from its abort message.
fn ban_reason(reason: &str) -> BanReason {
	// dkls23 0.6.2's `Display` of its ban-carrying `AbortReason`s.
	if reason.contains("gamma-u inconsistency") {
		BanReason::GammaUInconsistency
	} else if reason.contains("OT consistency check failed") {
		BanReason::OtConsistencyCheckFailed
	} else if reason.contains("multiplication verification failed") {
		BanReason::MultiplicationVerificationFailed
	} else {
		BanReason::Other
	}
}

/// The parties that sign request `request_id` in attempt `attempt`: members ordered by
/// `blake2(genesis ‖ request id ‖ attempt ‖ index)`, the first `threshold` that are live and
/// banned by none of those before them (`banned` holds `(reporter, culprit)` member indices
/// reported on-chain). `None` if no such `threshold` members are found.
pub fn select_signers(
	genesis: &[u8; 32],
	request_id: RequestId,
	attempt: u32,
	members: &[AuthorityId],
	threshold: usize,
	is_live: impl Fn(&AuthorityId) -> bool,
	banned: &[(u32, u32)],
) -> Option<Vec<PartyIndex>> {
	let mut order: Vec<([u8; 32], usize)> = (0..members.len())
		.map(|index| {
			let key = (b"qsign/signers", genesis, request_id, attempt, index as u32).encode();
			(sp_io::hashing::blake2_256(&key), index)
		})
		.collect();
	order.sort_unstable();
	let live: Vec<u32> = order
		.into_iter()
		.filter(|(_, index)| is_live(&members[*index]))
		.filter_map(|(_, index)| u32::try_from(index).ok())
		.collect();
	let mut chosen: Vec<u32> = Vec::with_capacity(threshold);
	let mut budget = MAX_SIGNER_SEARCH_STEPS;
	if threshold == 0 || !first_apart_set(&live, 0, threshold, banned, &mut chosen, &mut budget) {
		return None;
	}
	let mut signers: Vec<PartyIndex> = chosen
		.into_iter()
		.filter_map(|index| PartyIndex::new(u16::try_from(index + 1).ok()?))
		.collect();
	if signers.len() < threshold || threshold == 0 {
		return None;
	}
	signers.sort_unstable();
	Some(signers)
}

/// The member that failed runs single out (see `MpcWorker::repeated_suspects`): the one
/// suspect that a new failure (`suspects`) and *every* `earlier` recent failure have in common,
/// if there is exactly one and the failures are not all of one signer list (then one honest
/// co-signer shares them with the culprit); with one co-signer per run, two failures with the
/// same one suffice. One failure in the window without it (a run that failed for another
/// reason) singles out nobody until it ages out: slower, never wrong about an honest member
/// that merely shared one failure with the culprit.
pub fn singled_out<'a, T: PartialEq + Clone + 'a>(
	earlier: impl Iterator<Item = &'a Vec<T>>,
	suspects: &[T],
) -> Vec<T> {
	let mut common: Vec<T> = suspects.to_vec();
	let mut any = false;
	let mut all_same = true;
	for earlier in earlier {
		any = true;
		all_same &= earlier[..] == suspects[..];
		common.retain(|s| earlier.contains(s));
	}
	let distinct = !all_same || suspects.len() == 1;
	if any && distinct && common.len() == 1 {
		common
	} else {
		Vec::new()
	}
}

#[cfg(test)]
mod tests {
	#[test]
	fn repeated_failures_single_out_only_the_member_they_share() {
		use super::singled_out;
		let (y, z, e) = ("y", "z", "e");
		// 3-of-5: two failures with different co-suspects share only the culprit.
		assert_eq!(singled_out([vec![y, e]].iter(), &[z, e]), vec![e]);
		// The same pair failing twice (one culprit, one honest co-signer): nobody.
		assert!(singled_out([vec![y, e]].iter(), &[y, e]).is_empty());
		// One failure alone: nobody.
		assert!(singled_out(std::iter::empty(), &[y, e]).is_empty());
		// 2-of-n: the only co-signer of two failures.
		assert_eq!(singled_out([vec![e]].iter(), &[e]), vec![e]);
		assert!(singled_out([vec![y]].iter(), &[e]).is_empty());
		// Two in common: no single culprit.
		assert!(singled_out([vec![y, z, e]].iter(), &[y, e]).is_empty());
		// Every recent failure must hold it: one failure without the culprit (another cause)
		// singles out nobody, not the honest member it shared with a failure of the culprit's.
		assert_eq!(singled_out([vec![y, e], vec![z, e]].iter(), &[y, e]), vec![e]);
		assert!(singled_out([vec![y, e], vec![y, z]].iter(), &[z, e]).is_empty());
	}

	use super::*;
	use sp_core::Pair as _;

	fn members(n: usize) -> Vec<AuthorityId> {
		(0..n)
			.map(|i| {
				pallet_qsign::crypto::AuthorityPair::from_string(&format!("//member{i}"), None)
					.unwrap()
					.public()
			})
			.collect()
	}

	#[test]
	fn every_node_computes_the_same_signers() {
		let members = members(5);
		let a = select_signers(&[1; 32], 42, 0, &members, 3, |_| true, &[]).unwrap();
		let b = select_signers(&[1; 32], 42, 0, &members, 3, |_| true, &[]).unwrap();
		assert_eq!(a, b);
		assert_eq!(a.len(), 3);
		assert!(a.windows(2).all(|w| w[0] < w[1]));
	}

	#[test]
	fn offline_members_are_skipped_and_too_few_means_none() {
		let members = members(3);
		let offline = members[1].clone();
		for request_id in 0..50 {
			let signers =
				select_signers(&[0; 32], request_id, 0, &members, 2, |a| *a != offline, &[])
					.unwrap();
			assert_eq!(signers, vec![PartyIndex::new(1).unwrap(), PartyIndex::new(3).unwrap()]);
		}
		assert_eq!(select_signers(&[0; 32], 1, 0, &members, 2, |a| *a == members[0], &[]), None);
		assert_eq!(select_signers(&[0; 32], 1, 0, &members, 0, |_| true, &[]), None);
	}

	#[test]
	fn runs_of_settled_requests_stop_quietly_only_when_nobody_is_to_blame() {
		let [two, three, four] = [2u16, 3, 4].map(|i| PartyIndex::new(i).expect("non-zero"));
		// Party 2 never joined, but it signs the request's neighbouring attempt: it was busy
		// with that run. Stopped, stalled or not.
		assert!(settled_run_stops_quietly(&[two], &[two, four], true));
		assert!(settled_run_stops_quietly(&[two], &[two], false));
		// Party 3 never joined and had no other run of the request: left to time out (a member
		// that never joins the runs it is chosen for is blamed as before).
		assert!(!settled_run_stops_quietly(&[two, three], &[two, four], false));
		assert!(!settled_run_stops_quietly(&[three], &[], true));
		// Everybody joined and the run is still progressing: stopped, nothing to blame.
		assert!(settled_run_stops_quietly(&[], &[], false));
		// Everybody joined and then the run stalled: left to time out and blame the silent one.
		assert!(!settled_run_stops_quietly(&[], &[two, three], true));
	}

	#[test]
	fn a_request_is_given_up_only_when_every_set_with_us_aborted() {
		// 2-of-3: two sets hold us ({us, a}, {us, b}).
		assert!(!every_set_with_us_aborted(1, 3, 2));
		assert!(every_set_with_us_aborted(2, 3, 2));
		// 3-of-5: C(4, 2) = 6 sets hold us; a member that aborts every run it is in spoils 3.
		assert!(!every_set_with_us_aborted(3, 5, 3));
		assert!(!every_set_with_us_aborted(5, 5, 3));
		assert!(every_set_with_us_aborted(6, 5, 3));
		// A large committee: practically never (the request expires at its TTL instead).
		assert!(!every_set_with_us_aborted(10_000, 100, 51));
		assert!(!every_set_with_us_aborted(0, 0, 0));
	}

	#[test]
	fn the_library_ban_reasons_are_recognised() {
		assert_eq!(ban_reason("gamma-u inconsistency for party 3"), BanReason::GammaUInconsistency);
		assert_eq!(
			ban_reason("OT consistency check failed for party 2"),
			BanReason::OtConsistencyCheckFailed
		);
		assert_eq!(
			ban_reason("multiplication verification failed for party 2: bad"),
			BanReason::MultiplicationVerificationFailed
		);
		assert_eq!(ban_reason("something else"), BanReason::Other);
	}

	#[test]
	fn a_reported_pair_never_signs_together_on_any_node() {
		let members = members(3);
		// Members 0 and 1 both reported member 2: only {0, 1} is left.
		let banned = [(0, 2), (1, 2)];
		for request_id in 0..50 {
			let signers =
				select_signers(&[0; 32], request_id, 0, &members, 2, |_| true, &banned).unwrap();
			assert_eq!(signers, vec![PartyIndex::new(1).unwrap(), PartyIndex::new(2).unwrap()]);
		}
		// A single report (member 0 on member 2) still lets member 2 sign with member 1, and
		// a reporter that frames everyone only loses its own pairings.
		let sets: HashSet<Vec<PartyIndex>> = (0..50)
			.map(|r| select_signers(&[0; 32], r, 0, &members, 2, |_| true, &[(0, 2)]).unwrap())
			.collect();
		assert!(sets
			.iter()
			.all(|set| set != &vec![PartyIndex::new(1).unwrap(), PartyIndex::new(3).unwrap()]));
		assert!(sets.contains(&vec![PartyIndex::new(2).unwrap(), PartyIndex::new(3).unwrap()]));
		// A cheater reported by every other member of five is never chosen, yet a set is
		// always found, whatever the order puts first.
		let five = self::members(5);
		let banned: Vec<(u32, u32)> = (0..4).map(|reporter| (reporter, 4)).collect();
		for request_id in 0..50 {
			let signers =
				select_signers(&[0; 32], request_id, 0, &five, 3, |_| true, &banned).unwrap();
			assert!(!signers.contains(&PartyIndex::new(5).unwrap()));
		}
		// Every pair banned: nobody can sign.
		let all = [(0, 1), (0, 2), (1, 2)];
		assert_eq!(select_signers(&[0; 32], 1, 0, &members, 2, |_| true, &all), None);
	}

	#[test]
	fn attempts_and_requests_spread_the_work() {
		let members = members(5);
		let sets: HashSet<Vec<PartyIndex>> = (0..40)
			.map(|attempt| {
				select_signers(&[0; 32], 7, attempt, &members, 3, |_| true, &[]).unwrap()
			})
			.collect();
		assert!(sets.len() > 1, "the attempt number reshuffles the signers");
		let sets: HashSet<Vec<PartyIndex>> = (0..40)
			.map(|request| {
				select_signers(&[0; 32], request, 0, &members, 3, |_| true, &[]).unwrap()
			})
			.collect();
		assert!(sets.len() > 1, "requests are spread over the committee");
	}
}
