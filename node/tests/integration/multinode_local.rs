//! Multi-node tier: three validators (Alice, Bob, Charlie) from the `local` chain spec, as real
//! processes over real libp2p on localhost: they connect, finalize blocks (GRANDPA with three
//! voters needs all three), and make the root key although one of them deals a wrong share.

use crate::common::{network::Network, LIVENESS_TIMEOUT};
use qsign_client::{Payload, Signer};
use qsign_runtime::RuntimeEvent;
use std::time::{Duration, Instant};

/// Charlie deals a wrong share in the genesis key generation (`--mpc-fault=wrong-fragment`: its
/// fragment for Alice is off the polynomial it committed to). Alice's run names it and submits
/// the two signed messages; the runtime verifies them, records the offence and retries the key
/// generation at once without Charlie. Alice and Bob make the root key, and the handover to all
/// three validators gives Charlie its share (it cheats only as a dealer, and deals in no later
/// attempt). A signature by the full committee follows.
///
/// Then (issue 16) Charlie comes back on its base path sending garbage in every signing run
/// (`--mpc-fault=garbage`: its messages keep their headers, the payload is junk; each is signed
/// by Charlie, so it is Charlie's). The runs with it abort naming it, its co-signers blame it on-
/// chain (`Misbehaved`) and the next attempt signs without it: 16 requests all end Signed.
#[test]
fn multinode_a_dealer_of_a_wrong_share_at_genesis_is_proven_and_left_out() {
	let mut network = Network::start_with_args(
		"local",
		&["alice", "bob", "charlie"],
		&[&[], &[], &["--mpc-fault=wrong-fragment"]],
	);
	let client = network.client();
	let began = Instant::now();
	let genesis = client.committee().expect("committee");
	let charlie = genesis.authorities[2].clone();
	client
		.wait_for_root_key(LIVENESS_TIMEOUT)
		.unwrap_or_else(|e| panic!("no root key: {e}\n{}", network.logs()));
	eprintln!("root key after {:.1} s", began.elapsed().as_secs_f64());

	// The offence is on-chain, against Charlie, with evidence the runtime checked.
	let offender = (1..=client.best_number().expect("best"))
		.flat_map(|number| {
			let hash = client.block_hash(number).expect("rpc").expect("block");
			client.events(hash).expect("events")
		})
		.find_map(|record| match record.event {
			RuntimeEvent::Committee(pallet_committee::Event::InvalidDealingReported {
				offender,
				..
			}) => Some(offender),
			_ => None,
		})
		.unwrap_or_else(|| panic!("no dealing offence on-chain\n{}", network.logs()));
	assert_eq!(offender, charlie, "Charlie's wrong dealing is on-chain");

	// The committee ends with all three (Charlie got its share from Alice and Bob).
	let start = Instant::now();
	loop {
		let committee = client.committee().expect("committee");
		if committee.authorities.len() == 3 && committee.committee_id > genesis.committee_id + 1 {
			break;
		}
		assert!(
			start.elapsed() < LIVENESS_TIMEOUT,
			"no handover to the full set: {committee:?}\n{}",
			network.logs()
		);
		std::thread::sleep(Duration::from_millis(500));
	}
	eprintln!("all three in the committee after {:.1} s", began.elapsed().as_secs_f64());
	let alice = Signer::from_suri("//Alice").expect("dev seed");
	let key = client.request_key(&alice, b"after the wrong dealing", LIVENESS_TIMEOUT).unwrap();
	let ids = client
		.request_signature(
			&alice,
			key.key_id,
			&[Payload::keccak256("hi")],
			None,
			None,
			LIVENESS_TIMEOUT,
		)
		.unwrap();
	let request = client
		.wait_for_request(ids[0], LIVENESS_TIMEOUT)
		.unwrap_or_else(|e| panic!("not signed: {e}\n{}", network.logs()));
	assert!(request.status.signature().is_some(), "signed by the full committee: {request:?}");
	eprintln!("signed after {:.1} s", began.elapsed().as_secs_f64());
	// Every node finalized past the signature's request: with three GRANDPA voters that takes all
	// three validators.
	let included = request.created_at.into();
	for node in network.nodes.iter().flatten() {
		let finalized = node.finalized_number().expect("finalized head");
		assert!(finalized >= included, "{} finalized only {finalized} < {included}", node.name);
	}

	// Charlie sends garbage: the runs with it abort naming it; 16 requests are all signed.
	let charlie_index =
		client.committee().expect("committee").authorities.iter().position(|m| *m == charlie);
	let charlie_index = charlie_index.expect("Charlie is a member") as u32;
	network.restart_with_args(2, &["--mpc-fault=garbage"]);
	let start = Instant::now();
	while network.nodes[2].as_ref().and_then(|node| node.peers()).unwrap_or(0) < 2 {
		assert!(
			start.elapsed() < LIVENESS_TIMEOUT,
			"Charlie never reconnected\n{}",
			network.logs()
		);
		std::thread::sleep(Duration::from_millis(500));
	}
	let first_block = client.best_number().expect("best");
	let payloads: Vec<Payload> =
		(0..16).map(|i| Payload::keccak256(format!("garbage phase {i}"))).collect();
	let ids = client
		.request_signature(&alice, key.key_id, &payloads, None, None, LIVENESS_TIMEOUT)
		.unwrap_or_else(|e| panic!("requests: {e}\n{}", network.logs()));
	for id in ids {
		let request = client
			.wait_for_request(id, LIVENESS_TIMEOUT)
			.unwrap_or_else(|e| panic!("request {id}: {e}\n{}", network.logs()));
		assert!(request.status.signature().is_some(), "{id} not signed: {request:?}");
	}
	let blamed = (first_block..=client.best_number().expect("best"))
		.flat_map(|number| {
			let hash = client.block_hash(number).expect("rpc").expect("block");
			client.events(hash).expect("events")
		})
		.any(|record| {
			matches!(
				record.event,
				RuntimeEvent::Committee(pallet_committee::Event::MemberBlamed {
					blamed,
					reason: pallet_committee::Blame::Misbehaved,
					..
				}) if blamed == charlie_index
			)
		});
	// Each request's first signer set holds Charlie with probability 2/3: with 16 requests it is
	// in none of them with probability (1/3)^16 < 10^-7.
	assert!(blamed, "nobody blamed Charlie's garbage\n{}", network.logs());
	eprintln!("16 signed, Charlie blamed, after {:.1} s", began.elapsed().as_secs_f64());
}
