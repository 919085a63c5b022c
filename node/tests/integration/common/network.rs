//! A local network of validators as real `qsign-node` processes.

use super::{node_key, peer_id, NodeProcess, LIVENESS_TIMEOUT};
use qsign_client::{Client, Signer};
use std::time::{Duration, Instant};

/// Validators of a local network; every running validator is a bootnode of the next one
/// started, so that all pairs connect without waiting for peer discovery (a member pair that
/// never connects cannot run the key generation together).
pub struct Network {
	/// Base paths of all nodes.
	pub dir: tempfile::TempDir,
	chain: &'static str,
	/// Validator names, e.g. `alice`.
	pub names: Vec<&'static str>,
	/// The running validators (`None` when killed).
	pub nodes: Vec<Option<NodeProcess>>,
	/// Extra command-line arguments of each validator.
	extra_args: Vec<Vec<&'static str>>,
}

impl Network {
	pub fn start(chain: &'static str, names: &[&'static str]) -> Self {
		Self::start_with_args(chain, names, &[])
	}

	/// Like [`Self::start`], validator `i` with the extra arguments `extra_args[i]` (if any).
	pub fn start_with_args(
		chain: &'static str,
		names: &[&'static str],
		extra_args: &[&[&'static str]],
	) -> Self {
		let mut network = Self {
			dir: tempfile::tempdir().expect("temp dir"),
			chain,
			names: names.to_vec(),
			nodes: names.iter().map(|_| None).collect(),
			extra_args: (0..names.len())
				.map(|i| extra_args.get(i).map(|args| args.to_vec()).unwrap_or_default())
				.collect(),
		};
		for index in 0..names.len() {
			network.restart(index);
		}
		network
	}

	/// Starts validator `index` (again), with the same base path and network key.
	pub fn restart(&mut self, index: usize) {
		let name = self.names[index];
		let flag = format!("--{name}");
		let key = node_key(index as u8 + 1);
		let mut args =
			vec!["--chain", self.chain, flag.as_str(), "--validator", "--node-key", &key];
		let bootnodes: Vec<String> = self
			.nodes
			.iter()
			.enumerate()
			.filter(|(other, _)| *other != index)
			.filter_map(|(other, node)| {
				let node = node.as_ref()?;
				Some(format!(
					"/ip4/127.0.0.1/tcp/{}/p2p/{}",
					node.p2p_port,
					peer_id(other as u8 + 1)
				))
			})
			.collect();
		for bootnode in &bootnodes {
			args.extend(["--bootnodes", bootnode.as_str()]);
		}
		args.extend(["-lqsign-mpc=debug"]);
		args.extend(self.extra_args[index].iter().copied());
		self.nodes[index] = Some(NodeProcess::start(name, self.dir.path(), &args));
	}

	/// Stops validator `index` and starts it again on its base path (its keys, database and
	/// share) with `extra_args` instead of its own extra arguments.
	pub fn restart_with_args(&mut self, index: usize, extra_args: &[&'static str]) {
		if let Some(mut node) = self.nodes[index].take() {
			node.kill();
		}
		self.extra_args[index] = extra_args.to_vec();
		self.restart(index);
	}

	/// A client of Alice's node (waits until it answers).
	pub fn client(&self) -> Client {
		let alice = self.nodes[0].as_ref().expect("alice runs");
		let client = Client::new(&format!("http://127.0.0.1:{}", alice.rpc_port)).unwrap();
		let start = Instant::now();
		while client.chain_info().is_err() {
			assert!(start.elapsed() < LIVENESS_TIMEOUT, "alice never answered RPC");
			std::thread::sleep(Duration::from_millis(500));
		}
		client
	}

	/// The last lines of every running node's log, for failure messages.
	pub fn logs(&self) -> String {
		self.nodes
			.iter()
			.flatten()
			.map(|n| format!("--- {} ---\n{}", n.name, n.failure_excerpt()))
			.collect::<Vec<_>>()
			.join("\n")
	}
}

pub fn alice() -> Signer {
	Signer::from_suri("//Alice").unwrap()
}
