//! The relayer's durable state (an embedded redb database): the cursor (the next QSign block
//! to scan) and the jobs. Jobs found in a block and the cursor move past that block in one
//! transaction, so a relayer killed at any point resumes exactly where it stopped.
//!
//! Bounded: an index of the jobs with work left keeps a pass from reading finished ones, and
//! only the latest [`MAX_FINISHED_JOBS`] finished jobs are kept (older ones are history the
//! chain has anyway: their requests are `Broadcast` or `Failed`).

use std::path::Path;

use codec::{Decode, Encode};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::{
	error::{Error, Result},
	job::Job,
};

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// The QSign chain this database belongs to: its genesis hash under [`QSIGN_GENESIS`].
const CHAIN: TableDefinition<&str, &[u8]> = TableDefinition::new("chain");
const QSIGN_GENESIS: &str = "qsign_genesis";
const JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("jobs");
/// Request ids of the jobs that still need work (open, or waiting for a destination).
const ACTIVE: TableDefinition<u64, ()> = TableDefinition::new("active");

/// Finished jobs kept in the database (the oldest are removed beyond this).
pub const MAX_FINISHED_JOBS: u64 = 10_000;

fn is_active(job: &Job) -> bool {
	job.state.is_open() || job.state == crate::job::JobState::NoDestination
}
const NEXT_BLOCK: &str = "next_block";

fn db_error(e: impl Into<redb::Error>) -> Error {
	Error::Database(e.into().to_string())
}

/// The relayer's database.
pub struct Store {
	db: Database,
	max_finished: u64,
}

impl Store {
	/// Opens (or creates) the database at `path`.
	///
	/// # Errors
	///
	/// [`Error::Database`], e.g. when another relayer has the same file open.
	pub fn open(path: &Path) -> Result<Self> {
		if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
			std::fs::create_dir_all(dir)
				.map_err(|e| Error::Database(format!("{}: {e}", dir.display())))?;
		}
		let db = Database::create(path).map_err(|e| match e {
			redb::DatabaseError::DatabaseAlreadyOpen => Error::Database(format!(
				"{} is in use by another relayer process (one database per relayer)",
				path.display()
			)),
			e => Error::Database(format!("{}: {e}", path.display())),
		})?;
		let tx = db.begin_write().map_err(db_error)?;
		tx.open_table(META).map_err(db_error)?;
		tx.open_table(CHAIN).map_err(db_error)?;
		tx.open_table(JOBS).map_err(db_error)?;
		tx.open_table(ACTIVE).map_err(db_error)?;
		tx.commit().map_err(db_error)?;
		Ok(Self { db, max_finished: MAX_FINISHED_JOBS })
	}

	/// Keeps at most `max` finished jobs instead of [`MAX_FINISHED_JOBS`].
	pub fn with_max_finished(mut self, max: u64) -> Self {
		self.max_finished = max;
		self
	}

	/// Ties the database to the QSign chain with genesis hash `genesis`: a new database takes
	/// it; one written for another chain (e.g. a development chain that was reset: its block
	/// numbers and request ids mean other things now) is refused, never reused.
	///
	/// # Errors
	///
	/// [`Error::OtherChain`] when the database belongs to another chain; [`Error::Database`].
	pub fn bind_to_chain(&self, genesis: [u8; 32]) -> Result<()> {
		let tx = self.db.begin_write().map_err(db_error)?;
		{
			let mut table = tx.open_table(CHAIN).map_err(db_error)?;
			let stored = table.get(QSIGN_GENESIS).map_err(db_error)?.map(|v| v.value().to_vec());
			match stored {
				Some(stored) if stored == genesis => {}
				Some(stored) => {
					return Err(Error::OtherChain {
						stored: format!("0x{}", hex::encode(stored)),
						connected: format!("0x{}", hex::encode(genesis)),
					})
				}
				None => {
					// A database from before the binding has jobs of an unknown chain.
					let jobs = tx.open_table(JOBS).map_err(db_error)?.len().map_err(db_error)?;
					let started = tx.open_table(META).map_err(db_error)?.len().map_err(db_error)?;
					if jobs > 0 || started > 0 {
						return Err(Error::OtherChain {
							stored:
								"none (a database written before relayers recorded their chain)"
									.into(),
							connected: format!("0x{}", hex::encode(genesis)),
						});
					}
					table.insert(QSIGN_GENESIS, genesis.as_slice()).map_err(db_error)?;
				}
			}
		}
		tx.commit().map_err(db_error)
	}

	/// The genesis hash of the QSign chain the database belongs to, once bound.
	pub fn chain(&self) -> Result<Option<[u8; 32]>> {
		let tx = self.db.begin_read().map_err(db_error)?;
		let table = tx.open_table(CHAIN).map_err(db_error)?;
		let value = table.get(QSIGN_GENESIS).map_err(db_error)?.map(|v| v.value().to_vec());
		value
			.map(|v| {
				<[u8; 32]>::try_from(v.as_slice()).map_err(|_| {
					Error::Database(format!("corrupt chain identity {}", hex::encode(&v)))
				})
			})
			.transpose()
	}

	/// The next QSign block to scan, if the database was ever started.
	pub fn next_block(&self) -> Result<Option<u32>> {
		let tx = self.db.begin_read().map_err(db_error)?;
		let table = tx.open_table(META).map_err(db_error)?;
		let value = table.get(NEXT_BLOCK).map_err(db_error)?.map(|v| v.value());
		value
			.map(|v| u32::try_from(v).map_err(|_| Error::Database(format!("corrupt cursor {v}"))))
			.transpose()
	}

	/// Records the jobs found in block `block` and moves the cursor to `block + 1`, at once.
	/// Jobs already known (e.g. a block scanned twice) are left as they are.
	pub fn commit_block(&self, block: u32, jobs: &[Job]) -> Result<()> {
		let tx = self.db.begin_write().map_err(db_error)?;
		{
			let mut table = tx.open_table(JOBS).map_err(db_error)?;
			let mut active = tx.open_table(ACTIVE).map_err(db_error)?;
			for job in jobs {
				if table.get(job.request_id).map_err(db_error)?.is_none() {
					table.insert(job.request_id, job.encode().as_slice()).map_err(db_error)?;
					if is_active(job) {
						active.insert(job.request_id, ()).map_err(db_error)?;
					}
				}
			}
			let mut meta = tx.open_table(META).map_err(db_error)?;
			meta.insert(NEXT_BLOCK, u64::from(block) + 1).map_err(db_error)?;
		}
		tx.commit().map_err(db_error)
	}

	/// Sets the cursor (a fresh database's starting block).
	pub fn set_next_block(&self, block: u32) -> Result<()> {
		let tx = self.db.begin_write().map_err(db_error)?;
		tx.open_table(META)
			.map_err(db_error)?
			.insert(NEXT_BLOCK, u64::from(block))
			.map_err(db_error)?;
		tx.commit().map_err(db_error)
	}

	/// Saves a job's new state; a job that finishes may push the oldest finished ones out.
	pub fn save(&self, job: &Job) -> Result<()> {
		let tx = self.db.begin_write().map_err(db_error)?;
		self.write_job(&tx, job)?;
		tx.commit().map_err(db_error)
	}

	/// Saves `job` only if the stored job is still `before` (nobody changed it since it was
	/// read); returns whether it was saved. Read and write are one transaction.
	pub fn save_if_unchanged(&self, before: &Job, job: &Job) -> Result<bool> {
		let tx = self.db.begin_write().map_err(db_error)?;
		let stored = {
			let table = tx.open_table(JOBS).map_err(db_error)?;
			let stored = table.get(job.request_id).map_err(db_error)?;
			stored.map(|v| v.value().to_vec())
		};
		if stored.as_deref() != Some(before.encode().as_slice()) {
			return Ok(false);
		}
		self.write_job(&tx, job)?;
		tx.commit().map_err(db_error)?;
		Ok(true)
	}

	fn write_job(&self, tx: &redb::WriteTransaction, job: &Job) -> Result<()> {
		let mut table = tx.open_table(JOBS).map_err(db_error)?;
		table.insert(job.request_id, job.encode().as_slice()).map_err(db_error)?;
		let mut active = tx.open_table(ACTIVE).map_err(db_error)?;
		if is_active(job) {
			active.insert(job.request_id, ()).map_err(db_error)?;
		} else {
			active.remove(job.request_id).map_err(db_error)?;
			// Remove the oldest finished jobs beyond the limit.
			let finished =
				table.len().map_err(db_error)?.saturating_sub(active.len().map_err(db_error)?);
			let mut excess = finished.saturating_sub(self.max_finished);
			let mut oldest = Vec::new();
			for entry in table.iter().map_err(db_error)? {
				if excess == 0 {
					break;
				}
				let id = entry.map_err(db_error)?.0.value();
				if active.get(id).map_err(db_error)?.is_none() {
					oldest.push(id);
					excess -= 1;
				}
			}
			for id in oldest {
				table.remove(id).map_err(db_error)?;
			}
		}
		Ok(())
	}

	/// A job by request id.
	pub fn job(&self, request_id: u64) -> Result<Option<Job>> {
		let tx = self.db.begin_read().map_err(db_error)?;
		let table = tx.open_table(JOBS).map_err(db_error)?;
		let bytes = table.get(request_id).map_err(db_error)?.map(|v| v.value().to_vec());
		bytes.map(|b| decode_job(request_id, &b)).transpose()
	}

	/// The jobs with work left (open, or waiting for a destination), in request-id order.
	pub fn active_jobs(&self) -> Result<Vec<Job>> {
		let tx = self.db.begin_read().map_err(db_error)?;
		let active = tx.open_table(ACTIVE).map_err(db_error)?;
		let table = tx.open_table(JOBS).map_err(db_error)?;
		let mut jobs = Vec::new();
		for entry in active.iter().map_err(db_error)? {
			let id = entry.map_err(db_error)?.0.value();
			if let Some(bytes) = table.get(id).map_err(db_error)? {
				jobs.push(decode_job(id, bytes.value())?);
			}
		}
		Ok(jobs)
	}

	/// The latest `limit` finished jobs, newest first.
	pub fn finished_jobs(&self, limit: usize) -> Result<Vec<Job>> {
		let tx = self.db.begin_read().map_err(db_error)?;
		let active = tx.open_table(ACTIVE).map_err(db_error)?;
		let table = tx.open_table(JOBS).map_err(db_error)?;
		let mut jobs = Vec::new();
		for entry in table.iter().map_err(db_error)?.rev() {
			if jobs.len() >= limit {
				break;
			}
			let (key, value) = entry.map_err(db_error)?;
			if active.get(key.value()).map_err(db_error)?.is_none() {
				jobs.push(decode_job(key.value(), value.value())?);
			}
		}
		Ok(jobs)
	}

	/// How many jobs are in each state, by [`crate::job::JobState::name`].
	pub fn counts(&self) -> Result<std::collections::BTreeMap<String, usize>> {
		let tx = self.db.begin_read().map_err(db_error)?;
		let table = tx.open_table(JOBS).map_err(db_error)?;
		let mut counts = std::collections::BTreeMap::new();
		for entry in table.iter().map_err(db_error)? {
			let (key, value) = entry.map_err(db_error)?;
			let job = decode_job(key.value(), value.value())?;
			*counts.entry(job.state.name().to_string()).or_insert(0) += 1;
		}
		Ok(counts)
	}
}

fn decode_job(request_id: u64, bytes: &[u8]) -> Result<Job> {
	Job::decode(&mut &bytes[..])
		.map_err(|e| Error::Database(format!("job {request_id} cannot be decoded: {e}")))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::job::JobState;

	#[test]
	fn the_cursor_and_jobs_survive_a_reopen() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("sub/cco.redb");
		{
			let store = Store::open(&path).unwrap();
			assert_eq!(store.next_block().unwrap(), None);
			store.set_next_block(10).unwrap();
			let job = Job::new(3, 31337, [1; 32], vec![2], 10);
			store.commit_block(10, &[job]).unwrap();
		}
		let store = Store::open(&path).unwrap();
		assert_eq!(store.next_block().unwrap(), Some(11));
		let mut job = store.job(3).unwrap().unwrap();
		assert_eq!(job.state, JobState::Queued);
		job.advance(JobState::Sent);
		store.save(&job).unwrap();
		assert_eq!(store.active_jobs().unwrap(), vec![job.clone()]);

		// Scanning the block again does not reset a job's progress.
		store.commit_block(10, &[Job::new(3, 31337, [1; 32], vec![2], 10)]).unwrap();
		assert_eq!(store.job(3).unwrap().unwrap().state, JobState::Sent);
	}

	#[test]
	fn finished_jobs_leave_the_active_index_and_old_ones_are_pruned() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(&dir.path().join("cco.redb")).unwrap().with_max_finished(20);
		let total = 20 + 5;
		let jobs: Vec<Job> = (0..total).map(|id| Job::new(id, 1, [0; 32], vec![], 1)).collect();
		store.commit_block(1, &jobs).unwrap();
		let mut waiting = Job::new(total, 2, [0; 32], vec![], 2);
		waiting.advance(JobState::NoDestination);
		store.commit_block(2, &[waiting.clone()]).unwrap();
		assert_eq!(store.active_jobs().unwrap().len() as u64, total + 1);

		for mut job in jobs {
			job.advance(JobState::Reported { block: 1, by_us: true });
			store.save(&job).unwrap();
		}
		// Only the job waiting for a destination is active; the 5 oldest reports are gone.
		assert_eq!(store.active_jobs().unwrap(), vec![waiting]);
		assert!(store.job(0).unwrap().is_none());
		assert!(store.job(4).unwrap().is_none());
		assert!(store.job(5).unwrap().is_some());
		let latest = store.finished_jobs(3).unwrap();
		assert_eq!(
			latest.iter().map(|j| j.request_id).collect::<Vec<_>>(),
			[total - 1, total - 2, total - 3]
		);
		let counts = store.counts().unwrap();
		assert_eq!(counts["reported"], 20);
		assert_eq!(counts["noDestination"], 1);
	}

	#[test]
	fn a_database_serves_one_chain_only() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("cco.redb");
		{
			let store = Store::open(&path).unwrap();
			assert_eq!(store.chain().unwrap(), None);
			store.bind_to_chain([7; 32]).unwrap();
			store.set_next_block(10).unwrap();
		}
		let store = Store::open(&path).unwrap();
		// The same chain again: fine, and the cursor is kept.
		store.bind_to_chain([7; 32]).unwrap();
		assert_eq!(store.chain().unwrap(), Some([7; 32]));
		assert_eq!(store.next_block().unwrap(), Some(10));
		// A reset development chain has another genesis: refused, naming both.
		let error = store.bind_to_chain([8; 32]).unwrap_err().to_string();
		assert!(error.contains(&hex::encode([7; 32])), "{error}");
		assert!(error.contains(&hex::encode([8; 32])), "{error}");
		assert_eq!(store.chain().unwrap(), Some([7; 32]));
	}

	#[test]
	fn a_database_of_unknown_chain_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(&dir.path().join("cco.redb")).unwrap();
		store.set_next_block(5).unwrap();
		let error = store.bind_to_chain([7; 32]).unwrap_err().to_string();
		assert!(error.contains("before relayers recorded their chain"), "{error}");
		assert_eq!(store.chain().unwrap(), None);
	}

	#[test]
	fn a_stale_view_of_a_job_is_not_saved() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(&dir.path().join("cco.redb")).unwrap();
		let job = Job::new(1, 31337, [1; 32], vec![2], 1);
		store.commit_block(1, std::slice::from_ref(&job)).unwrap();
		// Two readers: the relayer's loop records a report; a driver's older view loses.
		let mut reported = job.clone();
		reported.advance(JobState::Reported { block: 9, by_us: true });
		assert!(store.save_if_unchanged(&job, &reported).unwrap());
		let mut sent = job.clone();
		sent.advance(JobState::Sent);
		assert!(!store.save_if_unchanged(&job, &sent).unwrap());
		assert_eq!(store.job(1).unwrap().unwrap(), reported);
		assert!(store.active_jobs().unwrap().is_empty());
	}

	#[test]
	fn a_second_relayer_on_the_same_file_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("cco.redb");
		let _first = Store::open(&path).unwrap();
		let error = Store::open(&path).err().unwrap().to_string();
		assert!(error.contains("in use"), "{error}");
	}
}
