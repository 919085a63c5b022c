//! Key shares on disk: `<base-path>/qsign/shares/<committee id>-<root key>.share`, sealed
//! with [`keys::sealing_key`](super::keys::sealing_key) (XChaCha20-Poly1305), written
//! atomically and readable only by the node's user.

use qsign_mpc::{storage::StorageKey, KeyShare};
use qsign_primitives::request::{CommitteeId, PublicKey};
use std::{
	fs,
	io::Write,
	path::{Path, PathBuf},
};

/// The directory of share files and the operations on it.
#[derive(Clone, Debug)]
pub struct ShareStore {
	dir: PathBuf,
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ShareStore {
	/// A store in `dir` (created on first save).
	pub fn new(dir: impl Into<PathBuf>) -> Self {
		Self { dir: dir.into() }
	}

	/// Where the store keeps its files.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	fn path(&self, committee_id: CommitteeId, root_key: &PublicKey) -> PathBuf {
		self.dir.join(format!("{committee_id}-{}.share", hex(root_key)))
	}

	/// Seals and stores `share` of committee `committee_id`.
	///
	/// # Errors
	///
	/// A description of the I/O or sealing failure.
	pub fn save(
		&self,
		committee_id: CommitteeId,
		share: &KeyShare,
		key: &StorageKey,
	) -> Result<PathBuf, String> {
		let sealed = share.seal(key).map_err(|e| format!("sealing the share: {e}"))?;
		fs::create_dir_all(&self.dir)
			.map_err(|e| format!("creating {}: {e}", self.dir.display()))?;
		let path = self.path(committee_id, &share.public_key());
		let tmp = path.with_extension("share.tmp");
		let mut options = fs::OpenOptions::new();
		options.write(true).create(true).truncate(true);
		#[cfg(unix)]
		{
			use std::os::unix::fs::OpenOptionsExt;
			options.mode(0o600);
		}
		let mut file = options.open(&tmp).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
		file.write_all(&sealed)
			.and_then(|()| file.sync_all())
			.map_err(|e| format!("writing {}: {e}", tmp.display()))?;
		fs::rename(&tmp, &path).map_err(|e| format!("renaming to {}: {e}", path.display()))?;
		Ok(path)
	}

	/// The share of committee `committee_id` for root key `root_key`, if stored.
	///
	/// # Errors
	///
	/// A description if the file exists but cannot be read, opened with `key` or does not
	/// hold a share of `root_key`.
	pub fn load(
		&self,
		committee_id: CommitteeId,
		root_key: &PublicKey,
		key: &StorageKey,
	) -> Result<Option<KeyShare>, String> {
		let path = self.path(committee_id, root_key);
		let bytes = match fs::read(&path) {
			Ok(bytes) => bytes,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
			Err(e) => return Err(format!("reading {}: {e}", path.display())),
		};
		let share = KeyShare::open(&bytes, key).map_err(|e| format!("{}: {e}", path.display()))?;
		if share.public_key() != *root_key {
			return Err(format!("{} holds a share of another key", path.display()));
		}
		Ok(Some(share))
	}

	/// Root keys of the shares stored for committee `committee_id`.
	pub fn stored_root_keys(&self, committee_id: CommitteeId) -> Vec<PublicKey> {
		let prefix = format!("{committee_id}-");
		let Ok(entries) = fs::read_dir(&self.dir) else { return Vec::new() };
		let mut keys: Vec<PublicKey> = entries
			.filter_map(|entry| {
				let name = entry.ok()?.file_name().into_string().ok()?;
				let hex_key = name.strip_prefix(&prefix)?.strip_suffix(".share")?;
				let bytes = (0..hex_key.len())
					.step_by(2)
					.map(|i| u8::from_str_radix(hex_key.get(i..i + 2)?, 16).ok())
					.collect::<Option<Vec<u8>>>()?;
				PublicKey::try_from(bytes).ok()
			})
			.collect();
		keys.sort_unstable();
		keys
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use qsign_mpc::{local::run_threads, DkgConfig, Dkls23, PartyIndex, SessionId, ThresholdEcdsa};

	fn shares() -> Vec<KeyShare> {
		let sessions = (1..=3)
			.map(|i| {
				let me = PartyIndex::new(i).unwrap();
				Dkls23::start_dkg(&DkgConfig {
					session_id: SessionId([9; 32]),
					threshold: 2,
					parties: 3,
					me,
				})
				.unwrap()
			})
			.collect();
		run_threads(sessions, None).into_iter().map(|r| r.unwrap()).collect()
	}

	#[test]
	fn a_saved_share_loads_back_only_with_its_key_and_root() {
		let dir = tempfile::tempdir().unwrap();
		let store = ShareStore::new(dir.path().join("shares"));
		let key = StorageKey::new([3; 32]);
		let share = shares().remove(0);
		let root = share.public_key();

		assert_eq!(store.load(7, &root, &key).unwrap().map(|s| s.public_key()), None);
		store.save(7, &share, &key).unwrap();
		assert_eq!(store.stored_root_keys(7), vec![root]);
		assert!(store.stored_root_keys(8).is_empty());
		let loaded = store.load(7, &root, &key).unwrap().unwrap();
		assert_eq!(loaded.public_key(), root);
		assert_eq!(loaded.me(), share.me());
		assert!(store.load(7, &root, &StorageKey::new([4; 32])).is_err());
		assert!(store.load(8, &root, &key).unwrap().is_none());
	}

	#[test]
	fn a_corrupted_file_is_an_error_not_a_panic() {
		let dir = tempfile::tempdir().unwrap();
		let store = ShareStore::new(dir.path());
		let root = [2u8; 33];
		fs::write(store.path(1, &root), b"garbage").unwrap();
		assert!(store.load(1, &root, &StorageKey::new([0; 32])).is_err());
	}
}
