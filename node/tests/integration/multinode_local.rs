//! Multi-node tier: three validators (Alice, Bob, Charlie) from the `local` chain spec, as real
//! processes over real libp2p on localhost, connect, produce blocks and finalize them.
//!
//! This is the slowest tier; `scripts/test.sh` runs it last, under a time guard.

use crate::common::{
	node_key, wait_for, NodeProcess, ALICE_NODE_KEY, ALICE_PEER_ID, LIVENESS_TIMEOUT,
};

#[test]
fn multinode_three_validators_finalize_blocks() {
	let dir = tempfile::tempdir().expect("temp dir");
	let mut alice = NodeProcess::start(
		"alice",
		dir.path(),
		&["--chain", "local", "--alice", "--validator", "--node-key", ALICE_NODE_KEY],
	);
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{ALICE_PEER_ID}", alice.p2p_port);
	let mut bob = NodeProcess::start(
		"bob",
		dir.path(),
		&[
			"--chain",
			"local",
			"--bob",
			"--validator",
			"--node-key",
			&node_key(2),
			"--bootnodes",
			&bootnode,
		],
	);
	let mut charlie = NodeProcess::start(
		"charlie",
		dir.path(),
		&[
			"--chain",
			"local",
			"--charlie",
			"--validator",
			"--node-key",
			&node_key(3),
			"--bootnodes",
			&bootnode,
		],
	);

	let nodes = &mut [&mut alice, &mut bob, &mut charlie];
	wait_for("every validator to see 2 peers", LIVENESS_TIMEOUT, nodes, |nodes| {
		nodes.iter().all(|n| n.peers() == Some(2)).then_some(())
	});
	let finalized =
		wait_for("block 5 to be finalized on every node", LIVENESS_TIMEOUT, nodes, |nodes| {
			let numbers: Option<Vec<u64>> = nodes.iter().map(|n| n.finalized_number()).collect();
			numbers.filter(|n| n.iter().all(|&x| x >= 5))
		});
	assert_eq!(finalized.len(), 3);
	// GRANDPA with three voters needs all three votes (threshold n - floor((n-1)/3) = 3), so
	// blocks finalized on every node prove that every validator took part.
}
