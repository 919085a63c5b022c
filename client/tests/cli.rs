//! The binaries without a node: bad arguments are usage errors (exit code 2, never a panic), a
//! rejected secret URI is not echoed, and an unreachable node is a clear failure (exit code 1).

use std::process::Command;

const DEMO: &str = env!("CARGO_BIN_EXE_qsign-demo");
const LOAD: &str = env!("CARGO_BIN_EXE_qsign-load");

/// Exit code and standard error of `bin args`.
fn run(bin: &str, args: &[&str]) -> (Option<i32>, String) {
	let output = Command::new(bin).args(args).output().expect("the binary runs");
	(output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// A URL on localhost where nothing listens (a port that was free a moment ago).
fn dead_url() -> String {
	let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
	let port = listener.local_addr().expect("bound").port();
	format!("http://127.0.0.1:{port}")
}

#[test]
fn bad_arguments_are_usage_errors() {
	let long_path = "x".repeat(qsign_client::tx::max_path_len() as usize + 1);
	let node = "http://127.0.0.1:9944";
	let cases: Vec<(&str, Vec<&str>)> = vec![
		(DEMO, vec!["--rpc", "localhost:9944"]),
		(DEMO, vec!["--rpc", "https://example.org"]),
		(DEMO, vec!["--timeout", "0"]),
		(DEMO, vec!["--root-key-timeout", "soon"]),
		(DEMO, vec!["--path", &long_path]),
		(DEMO, vec!["--message", ""]),
		(DEMO, vec!["--bogus"]),
		(LOAD, vec![]),
		(LOAD, vec!["--rpc", node]),
		(LOAD, vec!["--requests", "5"]),
		(LOAD, vec!["--rpc", node, "--requests", "0"]),
		(LOAD, vec!["--rpc", node, "--requests", "many"]),
		(LOAD, vec!["--rpc", node, "--requests", "5", "--batch", "0"]),
		(LOAD, vec!["--rpc", node, "--requests", "5", "--batch", "17"]),
		(LOAD, vec!["--rpc", node, "--requests", "5", "--accounts", "13"]),
		(LOAD, vec!["--rpc", node, "--requests", "5", "--rate", "0"]),
		(LOAD, vec!["--rpc", node, "--requests", "5", "--rate", "NaN"]),
		(LOAD, vec!["--rpc", node, "--requests", "5", "--ttl", "0"]),
		(LOAD, vec!["--rpc", node, "--rpc", "ftp://x", "--requests", "5"]),
	];
	for (bin, args) in cases {
		let (code, stderr) = run(bin, &args);
		assert_eq!(code, Some(2), "{bin} {args:?}: {stderr}");
		assert!(!stderr.contains("panicked"), "{bin} {args:?}: {stderr}");
	}
}

#[test]
fn rejected_secret_uris_are_not_echoed() {
	let secret = "correct horse battery staple";
	for (bin, args) in [
		(DEMO, vec!["--suri", secret]),
		(LOAD, vec!["--rpc", "http://127.0.0.1:9944", "--requests", "1", "--suri", secret]),
	] {
		let (code, stderr) = run(bin, &args);
		assert_eq!(code, Some(2), "{bin}: {stderr}");
		assert!(stderr.contains("--suri"), "{bin}: {stderr}");
		assert!(!stderr.contains("horse"), "{bin} echoed the secret: {stderr}");
	}
}

#[test]
fn unreachable_nodes_are_clear_failures() {
	let url = dead_url();
	for (bin, args) in [
		(DEMO, vec!["--rpc", url.as_str()]),
		(LOAD, vec!["--rpc", url.as_str(), "--requests", "1"]),
	] {
		let (code, stderr) = run(bin, &args);
		assert_eq!(code, Some(1), "{bin}: {stderr}");
		assert!(stderr.contains("cannot talk to the node"), "{bin}: {stderr}");
		assert!(!stderr.contains("panicked"), "{bin}: {stderr}");
	}
}
