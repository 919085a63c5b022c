//! Key shares on disk: `<base-path>/.../qsign/shares/<root key>-<member key>-<epoch>.share`,
//! named by the root key, our own `qmpc` key and the committee epoch the share belongs to, and
//! sealed with [`keys::sealing_key`](super::keys::sealing_key) (XChaCha20-Poly1305), written
//! atomically and readable only by the node's user. A handover adds the next epoch's file beside
//! the current one; once the chain has switched committees, older epochs are erased
//! ([`ShareStore::erase_before`]).

use pallet_qsign::crypto::AuthorityId;
use qsign_mpc::{storage::StorageKey, KeyShare};
use qsign_primitives::request::{CommitteeId, PublicKey};
use sp_core::crypto::ByteArray;
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

fn unhex(text: &str) -> Option<Vec<u8>> {
	if !text.len().is_multiple_of(2) {
		return None;
	}
	(0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// What a share file's name says that matters for erasing: its epoch (the root key and member
/// key must parse too, so that nothing but share files is ever erased).
struct FileName {
	epoch: CommitteeId,
}

impl FileName {
	fn parse(name: &str) -> Option<Self> {
		let stem = name.strip_suffix(".share")?;
		let mut parts = stem.split('-');
		PublicKey::try_from(unhex(parts.next()?)?).ok()?;
		unhex(parts.next()?)?;
		let epoch = parts.next()?.parse().ok()?;
		parts.next().is_none().then_some(Self { epoch })
	}
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

	fn path(&self, root_key: &PublicKey, member: &AuthorityId, epoch: CommitteeId) -> PathBuf {
		self.dir.join(format!("{}-{}-{epoch}.share", hex(root_key), hex(member.as_slice())))
	}

	fn files(&self) -> Vec<(PathBuf, FileName)> {
		let Ok(entries) = fs::read_dir(&self.dir) else { return Vec::new() };
		entries
			.filter_map(|entry| {
				let entry = entry.ok()?;
				let name = FileName::parse(&entry.file_name().into_string().ok()?)?;
				Some((entry.path(), name))
			})
			.collect()
	}

	/// Seals and stores `share`, held by our key `member` in the committee of epoch `epoch`
	/// (replacing an earlier file of the same root key, member and epoch).
	///
	/// # Errors
	///
	/// A description of the I/O or sealing failure.
	pub fn save(
		&self,
		member: &AuthorityId,
		epoch: CommitteeId,
		share: &KeyShare,
		key: &StorageKey,
	) -> Result<PathBuf, String> {
		let sealed = share.seal(key).map_err(|e| format!("sealing the share: {e}"))?;
		fs::create_dir_all(&self.dir)
			.map_err(|e| format!("creating {}: {e}", self.dir.display()))?;
		let path = self.path(&share.public_key(), member, epoch);
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

	/// Our (`member`'s) share of `root_key` in the committee of epoch `epoch`, if stored.
	///
	/// # Errors
	///
	/// A description if the file exists but cannot be read, opened with `key` or does not
	/// hold a share of `root_key`.
	pub fn load(
		&self,
		root_key: &PublicKey,
		member: &AuthorityId,
		epoch: CommitteeId,
		key: &StorageKey,
	) -> Result<Option<KeyShare>, String> {
		let path = self.path(root_key, member, epoch);
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

	/// As [`Self::load`] with `key`; if that fails and `old_key` is given (the key shares were
	/// sealed with before the operator configured a sealing secret), opens the share with
	/// `old_key` and seals it again under `key`. Returns the share and whether it was resealed.
	///
	/// # Errors
	///
	/// As [`Self::load`], when neither key opens the file (or resealing fails).
	pub fn load_or_reseal(
		&self,
		root_key: &PublicKey,
		member: &AuthorityId,
		epoch: CommitteeId,
		key: &StorageKey,
		old_key: Option<&StorageKey>,
	) -> Result<(Option<KeyShare>, bool), String> {
		let error = match self.load(root_key, member, epoch, key) {
			Ok(share) => return Ok((share, false)),
			Err(e) => e,
		};
		let Some(old_key) = old_key else { return Err(error) };
		let Ok(Some(share)) = self.load(root_key, member, epoch, old_key) else {
			return Err(format!("{error} (with the operator's sealing secret, and without it)"));
		};
		self.save(member, epoch, &share, key)?;
		Ok((Some(share), true))
	}

	/// Erases every share of a committee older than `epoch` (whoever held it): once the chain
	/// has switched to `epoch`, they are worthless, and an honest member must not keep them.
	/// Returns the files erased.
	pub fn erase_before(&self, epoch: CommitteeId) -> Vec<PathBuf> {
		self.files()
			.into_iter()
			.filter(|(_, name)| name.epoch < epoch)
			.filter_map(|(path, _)| fs::remove_file(&path).is_ok().then_some(path))
			.collect()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use qsign_mpc::{local::run_threads, DkgConfig, Dkls23, PartyIndex, SessionId, ThresholdEcdsa};
	use sp_core::Pair as _;

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

	fn member(seed: &str) -> AuthorityId {
		pallet_qsign::crypto::AuthorityPair::from_string(seed, None).unwrap().public()
	}

	#[test]
	fn a_saved_share_loads_back_only_with_its_key_root_member_and_epoch() {
		let dir = tempfile::tempdir().unwrap();
		let store = ShareStore::new(dir.path().join("shares"));
		let key = StorageKey::new([3; 32]);
		let share = shares().remove(0);
		let root = share.public_key();
		let (bob, rotated) = (member("//Bob"), member("//Bob//rotated"));

		assert_eq!(store.load(&root, &bob, 7, &key).unwrap().map(|s| s.public_key()), None);
		store.save(&bob, 7, &share, &key).unwrap();
		let loaded = store.load(&root, &bob, 7, &key).unwrap().unwrap();
		assert_eq!(loaded.public_key(), root);
		assert_eq!(loaded.me(), share.me());
		assert!(store.load(&root, &bob, 7, &StorageKey::new([4; 32])).is_err());
		assert!(store.load(&root, &bob, 8, &key).unwrap().is_none());
		assert!(store.load(&root, &rotated, 7, &key).unwrap().is_none());
	}

	#[test]
	fn a_share_sealed_before_the_operator_secret_is_resealed_under_it() {
		let dir = tempfile::tempdir().unwrap();
		let store = ShareStore::new(dir.path());
		let (old, new) = (StorageKey::new([3; 32]), StorageKey::new([5; 32]));
		let share = shares().remove(2);
		let root = share.public_key();
		let bob = member("//Bob");
		store.save(&bob, 1, &share, &old).unwrap();
		// Without the old key it stays sealed; with it, it is resealed under the new key once.
		assert!(store.load_or_reseal(&root, &bob, 1, &new, None).is_err());
		let (loaded, resealed) = store.load_or_reseal(&root, &bob, 1, &new, Some(&old)).unwrap();
		assert_eq!((loaded.map(|s| s.me()), resealed), (Some(share.me()), true));
		let (_, resealed) = store.load_or_reseal(&root, &bob, 1, &new, Some(&old)).unwrap();
		assert!(!resealed);
		assert!(store.load(&root, &bob, 1, &old).is_err(), "the old sealing is gone");
		// A key that opens nothing is an error naming both attempts.
		let wrong = StorageKey::new([9; 32]);
		let error = store.load_or_reseal(&root, &bob, 1, &wrong, Some(&wrong)).unwrap_err();
		assert!(error.contains("and without it"), "{error}");
	}

	#[test]
	fn shares_of_older_committees_are_erased() {
		let dir = tempfile::tempdir().unwrap();
		let store = ShareStore::new(dir.path());
		let key = StorageKey::new([3; 32]);
		let share = shares().remove(1);
		let root = share.public_key();
		let bob = member("//Bob");
		store.save(&bob, 1, &share, &key).unwrap();
		store.save(&bob, 2, &share, &key).unwrap();
		fs::write(dir.path().join("notes.txt"), b"not a share").unwrap();
		assert_eq!(store.erase_before(2).len(), 1);
		assert!(store.load(&root, &bob, 1, &key).unwrap().is_none());
		assert!(store.load(&root, &bob, 2, &key).unwrap().is_some());
		assert!(dir.path().join("notes.txt").exists());
	}

	#[test]
	fn a_corrupted_file_is_an_error_not_a_panic() {
		let dir = tempfile::tempdir().unwrap();
		let store = ShareStore::new(dir.path());
		let root = [2u8; 33];
		let bob = member("//Bob");
		fs::write(store.path(&root, &bob, 1), b"garbage").unwrap();
		assert!(store.load(&root, &bob, 1, &StorageKey::new([0; 32])).is_err());
		assert!(FileName::parse("zz-00-1.share").is_none());
		assert!(FileName::parse("00-00-x.share").is_none());
	}
}
