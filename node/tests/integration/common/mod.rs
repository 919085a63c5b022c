//! Helpers for tests that run `qsign-node` as real processes and talk to them over JSON-RPC.
#![allow(dead_code)]

pub mod network;

use serde_json::{json, Value};
use std::{
	io::{BufRead, BufReader, Read, Write},
	net::{TcpListener, TcpStream},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

/// The repository's root directory, found when the test runs (`cargo test` sets
/// `CARGO_MANIFEST_DIR` for the test process). Not `env!`: a test binary built from another
/// checkout sharing the target directory would look in that checkout.
pub fn repo_root() -> PathBuf {
	let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test");
	Path::new(&manifest_dir).join("..")
}

/// Liveness deadline for anything a test waits for. Not a performance assertion: it only keeps
/// a broken build from hanging CI forever.
pub const LIVENESS_TIMEOUT: Duration = Duration::from_secs(240);

/// The well-known libp2p key of Alice's node in multi-node tests, and its peer id.
pub const ALICE_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";
/// Peer id for [`ALICE_NODE_KEY`].
pub const ALICE_PEER_ID: &str = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";

/// A fixed libp2p secret key for test node `n` (validators need a persistent network key).
pub fn node_key(n: u8) -> String {
	format!("{:064x}", n)
}

/// Peer ids of [`node_key`] 1 to 5 (`qsign-node key inspect-node-key`).
const PEER_IDS: [&str; 5] = [
	ALICE_PEER_ID,
	"12D3KooWHdiAxVd8uMQR1hGWXccidmfCwLqcMpGwR6QcTP6QRMuD",
	"12D3KooWSCufgHzV4fCwRijfH2k3abrpAJxTKxEvN1FDuRXA2U9x",
	"12D3KooWSsChzF81YDUKpe9Uk5AHV5oqAaXAcWNSPYgoLauUk4st",
	"12D3KooWSuTq6MG9gPt7qZqLFKkYrfxMewTZhj9nmRHJkPwzWDG2",
];

/// The peer id of [`node_key`]`(n)`, for `n` in 1..=5.
pub fn peer_id(n: u8) -> &'static str {
	usize::from(n)
		.checked_sub(1)
		.and_then(|index| PEER_IDS.get(index))
		.unwrap_or_else(|| panic!("test networks have at most {} nodes", PEER_IDS.len()))
}

/// A free TCP port on localhost (bound, then released).
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("the OS hands out a free port")
}

/// A child process whose stderr is kept (the last 2,000 lines) for failure messages; killed
/// when dropped.
pub struct Process {
	/// Name used in messages (e.g. "alice").
	pub name: String,
	child: Child,
	log: Arc<Mutex<Vec<String>>>,
}

impl Process {
	/// Spawns `command` with stdout discarded and stderr captured.
	pub fn spawn(name: &str, command: &mut Command) -> Self {
		let mut child = command
			.stdout(Stdio::null())
			.stderr(Stdio::piped())
			.spawn()
			.unwrap_or_else(|e| panic!("{name} starts: {e}"));
		let log = Arc::new(Mutex::new(Vec::new()));
		let stderr = child.stderr.take().expect("stderr is piped");
		let sink = log.clone();
		std::thread::spawn(move || {
			for line in BufReader::new(stderr).lines().map_while(Result::ok) {
				let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
				if log.len() > 2000 {
					log.remove(0);
				}
				log.push(line);
			}
		});
		Self { name: name.into(), child, log }
	}

	/// The last lines the process logged.
	pub fn log_tail(&self, lines: usize) -> String {
		let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
		log.iter().rev().take(lines).rev().cloned().collect::<Vec<_>>().join("\n")
	}

	/// What a failure message shows of a node's log: its last 25 lines from the MPC worker or
	/// the committee pallet (what the key generation and signing did), then its last 10 lines.
	pub fn failure_excerpt(&self) -> String {
		let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
		let mut mpc: Vec<String> = log
			.iter()
			.rev()
			.filter(|line| line.contains("qsign-mpc") || line.contains("runtime::committee"))
			.take(25)
			.cloned()
			.collect();
		mpc.reverse();
		let tail = log.iter().rev().take(10).rev().cloned().collect::<Vec<_>>();
		format!("(MPC and committee lines)\n{}\n(last lines)\n{}", mpc.join("\n"), tail.join("\n"))
	}

	/// Whether the process is still running.
	pub fn is_running(&mut self) -> bool {
		matches!(self.child.try_wait(), Ok(None))
	}

	/// Stops the process (SIGKILL, as in a crash) and waits for it.
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

impl Drop for Process {
	fn drop(&mut self) {
		self.kill();
	}
}

/// A `qsign-node` process, killed when dropped. Its log is captured for failure messages.
pub struct NodeProcess {
	/// Name used in messages (e.g. "alice").
	pub name: String,
	/// JSON-RPC port on 127.0.0.1.
	pub rpc_port: u16,
	/// libp2p port on 127.0.0.1.
	pub p2p_port: u16,
	process: Process,
}

impl NodeProcess {
	/// Starts `qsign-node` with `args` plus RPC/p2p ports and a base path under `base`.
	pub fn start(name: &str, base: &Path, args: &[&str]) -> Self {
		let rpc_port = free_port();
		let p2p_port = free_port();
		let base_path: PathBuf = base.join(name);
		let process = Process::spawn(
			name,
			Command::new(env!("CARGO_BIN_EXE_qsign-node"))
				.args(args)
				.arg("--base-path")
				.arg(&base_path)
				.args(["--rpc-port", &rpc_port.to_string(), "--port", &p2p_port.to_string()])
				.args(["--no-prometheus", "--no-telemetry", "--no-mdns"]),
		);
		Self { name: name.into(), rpc_port, p2p_port, process }
	}

	/// The last lines the node logged.
	pub fn log_tail(&self, lines: usize) -> String {
		self.process.log_tail(lines)
	}

	/// See [`Process::failure_excerpt`].
	pub fn failure_excerpt(&self) -> String {
		self.process.failure_excerpt()
	}

	/// Whether the process is still running.
	pub fn is_running(&mut self) -> bool {
		self.process.is_running()
	}

	/// Calls a JSON-RPC method; `Err` for transport errors and JSON-RPC errors.
	pub fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		rpc_call(self.rpc_port, method, params)
	}

	/// Best block number, if the node answers.
	pub fn best_number(&self) -> Option<u64> {
		let header = self.rpc("chain_getHeader", json!([])).ok()?;
		parse_hex_u64(header.get("number")?.as_str()?)
	}

	/// Finalized block number, if the node answers.
	pub fn finalized_number(&self) -> Option<u64> {
		let hash = self.rpc("chain_getFinalizedHead", json!([])).ok()?;
		let header = self.rpc("chain_getHeader", json!([hash])).ok()?;
		parse_hex_u64(header.get("number")?.as_str()?)
	}

	/// Number of connected peers, if the node answers.
	pub fn peers(&self) -> Option<u64> {
		self.rpc("system_health", json!([])).ok()?.get("peers")?.as_u64()
	}

	/// Stops the node (SIGKILL) and waits for it.
	pub fn kill(&mut self) {
		self.process.kill();
	}
}

/// Parses a `0x`-prefixed hex number as JSON-RPC returns block numbers.
pub fn parse_hex_u64(s: &str) -> Option<u64> {
	u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}

/// Minimal HTTP/1.1 JSON-RPC client (the node serves HTTP and WebSocket on one port).
pub fn rpc_call(port: u16, method: &str, params: Value) -> Result<Value, String> {
	let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
	let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
	stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
	write!(
		stream,
		"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)
	.map_err(|e| e.to_string())?;
	let mut response = String::new();
	stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
	let (_, payload) =
		response.split_once("\r\n\r\n").ok_or_else(|| format!("no HTTP body: {response}"))?;
	let value: Value =
		serde_json::from_str(payload).map_err(|e| format!("bad JSON ({e}): {payload}"))?;
	if let Some(error) = value.get("error") {
		return Err(format!("{method}: {error}"));
	}
	value.get("result").cloned().ok_or_else(|| format!("no result in {value}"))
}

/// Polls `check` every 500 ms until it returns `Some`, or fails the test after `timeout`
/// with `what` and the nodes' log tails.
pub fn wait_for<T>(
	what: &str,
	timeout: Duration,
	nodes: &mut [&mut NodeProcess],
	mut check: impl FnMut(&[&mut NodeProcess]) -> Option<T>,
) -> T {
	let start = Instant::now();
	loop {
		if let Some(value) = check(nodes) {
			return value;
		}
		for node in nodes.iter_mut() {
			if !node.is_running() {
				panic!("{} exited while waiting for {what}:\n{}", node.name, node.log_tail(60));
			}
		}
		if start.elapsed() > timeout {
			let logs: Vec<String> = nodes
				.iter()
				.map(|n| format!("--- {} ---\n{}", n.name, n.failure_excerpt()))
				.collect();
			panic!("timed out after {timeout:?} waiting for {what}\n{}", logs.join("\n"));
		}
		std::thread::sleep(Duration::from_millis(500));
	}
}

/// Runs the repository's Node.js script `script` (a path from the repository root) with `args`
/// and `envs`, at most [`LIVENESS_TIMEOUT`] for what it waits on; returns its stdout. Fails the
/// test if it exits with an error, with its output and `context()` (e.g. node logs).
pub fn run_js_example(
	script: &str,
	args: &[&str],
	envs: &[(&str, &str)],
	context: impl FnOnce() -> String,
) -> String {
	let root = repo_root();
	let output = Command::new("node")
		.arg(root.join(script))
		.args(args)
		.envs(envs.iter().copied())
		.env("QSIGN_TIMEOUT_SECS", LIVENESS_TIMEOUT.as_secs().to_string())
		.output()
		.expect("node (Node.js) runs");
	let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(
		output.status.success(),
		"{script} failed ({}):\n{stdout}\n{stderr}\n{}",
		output.status,
		context()
	);
	stdout
}
