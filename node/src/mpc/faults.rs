//! Fault injection: make this validator misbehave in the MPC protocol, so that tests of a real
//! network can check that the honest members detect, name and exclude it.
//!
//! Switched on with `--mpc-fault`, which the node accepts only on the development chains
//! (`--dev`, `local`, `local5`; see [`check_chain`]): a production chain never runs a faulty
//! worker by accident.

use pallet_qsign::crypto::AuthorityId;
use sp_core::crypto::Ss58Codec;

/// A misbehaviour of this node's MPC worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MpcFault {
	/// `corrupt-multiplication`: every signing run sends its co-signers a multiplication message
	/// off its OT correlation. The honest co-signers' library aborts with its ban verdict; they
	/// report it on-chain and never sign with this node again under the same shares.
	CorruptMultiplication,
	/// `corrupt-final-share`: every signing run broadcasts a wrong share of `s` in the last
	/// round. DKLs23 cannot say who: the run fails for every signer with all the others as
	/// suspects. The honest members must still sign every request (with signer sets without
	/// this node) and never give one up because of it.
	CorruptFinalShare,
	/// `equivocate`: every signing run shows its first co-signer the honest last-round
	/// broadcast and the others a different one under the same header. Every message is signed,
	/// so the honest members hold two signed versions once they compare (after the failed run):
	/// the offence goes on-chain with that evidence and the node is in no signer set any more.
	Equivocate,
	/// `replay`: every signing run sends its first-round messages, then nothing more, and sends
	/// those same messages again every second until the run ends: the trick of holding runs open
	/// by re-sending (when every message restarted the idle timer, one re-send every 19 s kept a
	/// run alive for minutes). Identical copies are no progress: the run times out as if the
	/// member were silent, and the request is signed by another signer set.
	Replay,
	/// `wrong-fragment`: every key generation and resharing run in which this node deals sends
	/// its first other receiver a fragment off the polynomial it committed to. That receiver's
	/// run aborts naming it and submits the signed pair as evidence; the chain retries the
	/// attempt at once without this node as a dealer (a genesis member is left out).
	WrongFragment,
	/// `garbage`: every signing run's messages carry junk instead of their payload (the headers
	/// intact, the envelopes signed): the receivers' engines reject them as malformed, naming
	/// this node; its co-signers blame it on-chain and sets without it sign every request.
	Garbage,
	/// `silent`: connect as a member but never send an MPC message nor submit anything
	/// (readiness, attestations, signatures, votes): a member that is up and says nothing.
	Silent,
	/// `impersonate:<qmpc key, SS58>`: announce another member's `qmpc` key in the MPC handshake
	/// without holding it (an impostor). Every member must refuse the connection.
	Impersonate(AuthorityId),
}

impl std::str::FromStr for MpcFault {
	type Err = String;

	fn from_str(value: &str) -> Result<Self, String> {
		match value.split_once(':') {
			None if value == "corrupt-multiplication" => Ok(Self::CorruptMultiplication),
			None if value == "corrupt-final-share" => Ok(Self::CorruptFinalShare),
			None if value == "silent" => Ok(Self::Silent),
			None if value == "equivocate" => Ok(Self::Equivocate),
			None if value == "replay" => Ok(Self::Replay),
			None if value == "wrong-fragment" => Ok(Self::WrongFragment),
			None if value == "garbage" => Ok(Self::Garbage),
			Some(("impersonate", key)) => AuthorityId::from_ss58check(key)
				.map(Self::Impersonate)
				.map_err(|e| format!("`impersonate:` needs an SS58 `qmpc` public key: {e:?}")),
			_ => Err(format!(
				"unknown MPC fault `{value}`: use `corrupt-multiplication`, \
				 `corrupt-final-share`, `equivocate`, `replay`, `wrong-fragment`, `garbage`, `silent` or \
				 `impersonate:<SS58 qmpc key>`"
			)),
		}
	}
}

/// The `garbage` fault: `message` (header and payload) with the payload replaced by as many
/// bytes of junk (a BLAKE2 keystream of the payload).
pub fn garbage(message: &[u8]) -> Vec<u8> {
	let split = message.len().min(qsign_mpc::HEADER_LEN);
	let (header, payload) = message.split_at(split);
	let mut out = header.to_vec();
	let mut block = sp_io::hashing::blake2_256(payload);
	while out.len() < message.len() {
		out.extend_from_slice(&block[..(message.len() - out.len()).min(32)]);
		block = sp_io::hashing::blake2_256(&block);
	}
	out
}

/// Chain ids on which faults may be switched on: the node's own development chains.
pub const DEVELOPMENT_CHAINS: &[&str] = &["qsign_dev", "qsign_local", "qsign_local5"];

/// `Ok` if `--mpc-fault` may be used on the chain with this id and type.
pub fn check_chain(id: &str, chain_type: &sc_service::ChainType) -> Result<(), String> {
	let development =
		matches!(chain_type, sc_service::ChainType::Development | sc_service::ChainType::Local);
	if development && DEVELOPMENT_CHAINS.contains(&id) {
		Ok(())
	} else {
		Err(format!(
			"--mpc-fault is for testing on the development chains ({}) only; chain `{id}` is not \
			 one of them",
			DEVELOPMENT_CHAINS.join(", ")
		))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sc_service::ChainType;
	use sp_core::Pair;

	#[test]
	fn faults_parse_and_nonsense_is_refused() {
		assert_eq!("corrupt-multiplication".parse(), Ok(MpcFault::CorruptMultiplication));
		assert_eq!("corrupt-final-share".parse(), Ok(MpcFault::CorruptFinalShare));
		assert_eq!("silent".parse(), Ok(MpcFault::Silent));
		assert_eq!("equivocate".parse(), Ok(MpcFault::Equivocate));
		assert_eq!("replay".parse(), Ok(MpcFault::Replay));
		assert_eq!("wrong-fragment".parse(), Ok(MpcFault::WrongFragment));
		assert_eq!("garbage".parse(), Ok(MpcFault::Garbage));
		let charlie = pallet_qsign::crypto::AuthorityPair::from_string("//Charlie", None)
			.expect("dev seed")
			.public();
		let arg = format!("impersonate:{}", charlie.to_ss58check());
		assert_eq!(arg.parse(), Ok(MpcFault::Impersonate(charlie)));
		assert!("impersonate:nope".parse::<MpcFault>().is_err());
		assert!("crash".parse::<MpcFault>().is_err());
	}

	#[test]
	fn faults_are_refused_outside_the_development_chains() {
		assert!(check_chain("qsign_local", &ChainType::Local).is_ok());
		assert!(check_chain("qsign_dev", &ChainType::Development).is_ok());
		assert!(check_chain("qsign_local", &ChainType::Live).is_err());
		assert!(check_chain("qsign_mainnet", &ChainType::Live).is_err());
		assert!(check_chain("my_testnet", &ChainType::Local).is_err());
	}
}
