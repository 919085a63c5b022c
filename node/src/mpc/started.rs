//! The runs this node has ever started, kept on disk so that it never starts one twice, not even
//! after a crash.
//!
//! Every MPC message is signed, and two signed messages for one slot with different contents
//! are evidence of equivocation (`pallet_committee::evidence`). A node that crashed in the
//! middle of a run and started the same run again after a restart would send fresh randomness
//! for a slot it already spoke in: honest, yet indistinguishable from an equivocation. So before
//! a run starts its id is appended here and synced to disk; a run found here is never started
//! again (its peers time out and the chain's retry rules pick another attempt or signer set).
//! GRANDPA persists its votes for the same reason.
//!
//! The file holds 32-byte ids back to back. It keeps the last [`KEEP`] ids: older runs belong to
//! requests and handover attempts that the chain has long retried or expired.

use qsign_mpc::SessionId;
use std::{
	collections::{HashSet, VecDeque},
	fs::{File, OpenOptions},
	io::{self, Read, Write},
	path::{Path, PathBuf},
};

/// Ids kept (8 MiB on disk). When the file holds twice as many it is rewritten with the newest.
pub const KEEP: usize = 1 << 18;

/// The started runs, in memory and on disk.
pub struct StartedSessions {
	path: PathBuf,
	file: File,
	ids: HashSet<SessionId>,
	order: VecDeque<SessionId>,
	/// Ids in the file (may exceed `order.len()` until the next rewrite).
	in_file: usize,
}

impl StartedSessions {
	/// Opens (or creates) the record in `dir`.
	///
	/// # Errors
	///
	/// The file cannot be read or created.
	pub fn open(dir: &Path) -> io::Result<Self> {
		std::fs::create_dir_all(dir)?;
		let path = dir.join("started-runs");
		let mut bytes = Vec::new();
		if path.exists() {
			File::open(&path)?.read_to_end(&mut bytes)?;
		}
		// A torn last write (crash in the middle of an append) leaves a partial id: ignore it;
		// that run never sent anything, since its id is synced before it starts.
		let mut order: VecDeque<SessionId> = bytes
			.chunks_exact(32)
			.map(|chunk| SessionId(chunk.try_into().expect("chunks of 32")))
			.collect();
		while order.len() > KEEP {
			order.pop_front();
		}
		let ids = order.iter().copied().collect();
		let mut store = Self {
			file: OpenOptions::new().create(true).append(true).open(&path)?,
			path,
			ids,
			in_file: bytes.len() / 32,
			order,
		};
		if bytes.len() % 32 != 0 || store.in_file > store.order.len() {
			store.rewrite()?;
		}
		Ok(store)
	}

	/// Whether `id` was ever started (in this life of the node or an earlier one).
	#[cfg(test)]
	pub fn contains(&self, id: &SessionId) -> bool {
		self.ids.contains(id)
	}

	/// Records `id` as started, durably. Returns `false` if it was started before: the caller
	/// must not run it.
	///
	/// # Errors
	///
	/// The record cannot be written (then the run must not start either).
	pub fn claim(&mut self, id: SessionId) -> io::Result<bool> {
		if self.ids.contains(&id) {
			return Ok(false);
		}
		self.file.write_all(&id.0)?;
		self.file.sync_data()?;
		self.ids.insert(id);
		self.order.push_back(id);
		self.in_file += 1;
		while self.order.len() > KEEP {
			if let Some(old) = self.order.pop_front() {
				self.ids.remove(&old);
			}
		}
		if self.in_file >= 2 * KEEP {
			self.rewrite()?;
		}
		Ok(true)
	}

	/// Replaces the file with the kept ids (written aside, then renamed over it).
	fn rewrite(&mut self) -> io::Result<()> {
		let tmp = self.path.with_extension("tmp");
		let mut out = File::create(&tmp)?;
		for id in &self.order {
			out.write_all(&id.0)?;
		}
		out.sync_all()?;
		std::fs::rename(&tmp, &self.path)?;
		self.file = OpenOptions::new().append(true).open(&self.path)?;
		self.in_file = self.order.len();
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_run_is_started_once_even_across_restarts() {
		let dir = tempfile::tempdir().unwrap();
		let (a, b) = (SessionId([1; 32]), SessionId([2; 32]));
		{
			let mut started = StartedSessions::open(dir.path()).unwrap();
			assert!(started.claim(a).unwrap());
			assert!(!started.claim(a).unwrap());
		}
		// A crash in the middle of the next append leaves a partial id behind.
		let mut file =
			OpenOptions::new().append(true).open(dir.path().join("started-runs")).unwrap();
		file.write_all(&[9; 7]).unwrap();
		drop(file);
		let mut started = StartedSessions::open(dir.path()).unwrap();
		assert!(started.contains(&a));
		assert!(!started.claim(a).unwrap());
		assert!(started.claim(b).unwrap());
		let reopened = StartedSessions::open(dir.path()).unwrap();
		assert!(reopened.contains(&a) && reopened.contains(&b));
	}
}
