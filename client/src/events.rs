//! Events of a block and the outcome of one extrinsic in it.

use codec::Decode;
use frame_system::Phase;
use qsign_primitives::request::{KeyId, PublicKey, RequestId};
use qsign_runtime::{BlockNumber, Hash, Runtime, RuntimeError, RuntimeEvent};
use sp_runtime::DispatchError;

use crate::error::{Error, Result};

/// An event with the phase of the block it happened in.
pub type EventRecord = frame_system::EventRecord<RuntimeEvent, Hash>;
/// pallet-qsign's events in this runtime.
pub type QSignEvent = pallet_qsign::Event<Runtime>;

/// The storage key of `System::Events`: `twox128("System") ‖ twox128("Events")`.
pub fn events_storage_key() -> Vec<u8> {
	let mut key = sp_io::hashing::twox_128(b"System").to_vec();
	key.extend_from_slice(&sp_io::hashing::twox_128(b"Events"));
	key
}

/// Decodes the value of `System::Events` (`None`: no events).
///
/// # Errors
///
/// [`Error::Decode`] if the bytes are not this runtime's events (e.g. another runtime version).
pub fn decode_events(value: Option<&[u8]>) -> Result<Vec<EventRecord>> {
	let Some(mut bytes) = value else { return Ok(Vec::new()) };
	let events = Vec::<EventRecord>::decode(&mut bytes).map_err(|e| Error::decode("events", e))?;
	if !bytes.is_empty() {
		return Err(Error::decode("events", format!("{} trailing bytes", bytes.len())));
	}
	Ok(events)
}

/// A dispatch error as text, with the pallet error's name when this runtime knows it (e.g.
/// `QSign(NoRootKey)`).
pub fn describe_dispatch_error(error: &DispatchError) -> String {
	match RuntimeError::from_dispatch_error(*error) {
		Some(runtime_error) => format!("{runtime_error:?}"),
		None => format!("{error:?}"),
	}
}

/// Where and with what outcome an extrinsic was included.
#[derive(Clone, Debug)]
pub struct Inclusion {
	/// Hash of the extrinsic.
	pub tx_hash: Hash,
	/// Hash of the block that includes it.
	pub block_hash: Hash,
	/// Number of that block.
	pub block_number: BlockNumber,
	/// Position of the extrinsic in the block.
	pub extrinsic_index: u32,
	/// The events the extrinsic emitted, in order.
	pub events: Vec<RuntimeEvent>,
	/// `None` if the dispatch succeeded, otherwise the dispatch error as text.
	pub dispatch_error: Option<String>,
}

impl Inclusion {
	/// The outcome of the extrinsic at `extrinsic_index` from its block's events.
	pub fn from_events(
		tx_hash: Hash,
		block_hash: Hash,
		block_number: BlockNumber,
		extrinsic_index: u32,
		records: &[EventRecord],
	) -> Self {
		let events: Vec<RuntimeEvent> = records
			.iter()
			.filter(|r| matches!(r.phase, Phase::ApplyExtrinsic(i) if i == extrinsic_index))
			.map(|r| r.event.clone())
			.collect();
		let dispatch_error = events.iter().find_map(|event| match event {
			RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error, ..
			}) => Some(describe_dispatch_error(dispatch_error)),
			_ => None,
		});
		Self { tx_hash, block_hash, block_number, extrinsic_index, events, dispatch_error }
	}

	/// Whether the dispatch succeeded.
	pub fn is_success(&self) -> bool {
		self.dispatch_error.is_none()
	}

	/// `self` if the dispatch succeeded.
	///
	/// # Errors
	///
	/// [`Error::DispatchFailed`] with the dispatch error.
	pub fn ensure_success(self) -> Result<Self> {
		match &self.dispatch_error {
			None => Ok(self),
			Some(error) => Err(Error::DispatchFailed {
				tx_hash: crate::to_hex(self.tx_hash.as_bytes()),
				block_number: self.block_number,
				error: error.clone(),
			}),
		}
	}

	/// pallet-qsign's events among the extrinsic's events.
	pub fn qsign_events(&self) -> impl Iterator<Item = &QSignEvent> {
		self.events.iter().filter_map(|event| match event {
			RuntimeEvent::QSign(event) => Some(event),
			_ => None,
		})
	}

	/// The requests the extrinsic created (`RequestCreated`), or named again for an idempotent
	/// retry (`IdempotentReplay`), in order.
	pub fn request_ids(&self) -> Vec<RequestId> {
		let mut ids = Vec::new();
		for event in self.qsign_events() {
			match event {
				QSignEvent::RequestCreated { request_id, .. } => ids.push(*request_id),
				QSignEvent::IdempotentReplay { request_ids, .. } => {
					ids.extend(request_ids.iter().copied())
				}
				_ => {}
			}
		}
		ids
	}

	/// The key the extrinsic created (`KeyCreated`: with its public key) or found
	/// (`KeyExists`: `None`).
	pub fn key(&self) -> Option<(KeyId, Option<PublicKey>)> {
		self.qsign_events().find_map(|event| match event {
			QSignEvent::KeyCreated { key_id, public_key, .. } => Some((*key_id, Some(*public_key))),
			QSignEvent::KeyExists { key_id, .. } => Some((*key_id, None)),
			_ => None,
		})
	}
}

/// What the committee did to requests in a block: `(request, outcome)` for every `Signed`,
/// `Failed` and `Expired` event, in order.
pub fn request_outcomes(records: &[EventRecord]) -> Vec<(RequestId, Outcome)> {
	records
		.iter()
		.filter_map(|record| match &record.event {
			RuntimeEvent::QSign(QSignEvent::Signed { request_id, signature }) => {
				Some((*request_id, Outcome::Signed(*signature)))
			}
			RuntimeEvent::QSign(QSignEvent::Failed { request_id, reason }) => {
				Some((*request_id, Outcome::Failed(format!("{reason:?}"))))
			}
			RuntimeEvent::QSign(QSignEvent::Expired { request_id }) => {
				Some((*request_id, Outcome::Expired))
			}
			_ => None,
		})
		.collect()
}

/// How a request ended, as its event says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
	/// Signed: `r ‖ s ‖ v`.
	Signed(qsign_primitives::request::Signature),
	/// Failed, with the committee's reason.
	Failed(String),
	/// Expired.
	Expired,
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;

	fn record(phase: Phase, event: RuntimeEvent) -> EventRecord {
		EventRecord { phase, event, topics: vec![] }
	}

	fn created(request_id: RequestId) -> RuntimeEvent {
		RuntimeEvent::QSign(QSignEvent::RequestCreated {
			request_id,
			owner: sp_runtime::AccountId32::new([1; 32]),
			key_id: 4,
			kind: qsign_primitives::request::RequestKind::Signature,
			message_hash: [0; 32],
			expires_at: 100,
		})
	}

	#[test]
	fn events_decode_and_are_attributed_to_their_extrinsic() {
		let failed = RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
			dispatch_error: DispatchError::Module(sp_runtime::ModuleError {
				index: 20,
				error: [0, 0, 0, 0],
				message: None,
			}),
			dispatch_info: Default::default(),
		});
		let records = vec![
			record(Phase::Initialization, created(1)),
			record(Phase::ApplyExtrinsic(1), created(2)),
			record(Phase::ApplyExtrinsic(1), created(3)),
			record(Phase::ApplyExtrinsic(2), failed),
			record(
				Phase::ApplyExtrinsic(3),
				RuntimeEvent::QSign(QSignEvent::Signed { request_id: 2, signature: [7; 65] }),
			),
			record(Phase::Finalization, RuntimeEvent::QSign(QSignEvent::Expired { request_id: 1 })),
		];
		let encoded = records.encode();
		let decoded = decode_events(Some(&encoded)).unwrap();
		assert_eq!(decoded.len(), records.len());
		assert!(decode_events(None).unwrap().is_empty());
		assert!(decode_events(Some(&encoded[..encoded.len() - 1])).is_err());
		let mut trailing = encoded.clone();
		trailing.push(0);
		assert!(decode_events(Some(&trailing)).is_err());

		let ok = Inclusion::from_events(Hash::zero(), Hash::zero(), 5, 1, &decoded);
		assert!(ok.is_success());
		assert_eq!(ok.request_ids(), vec![2, 3]);

		let bad = Inclusion::from_events(Hash::zero(), Hash::zero(), 5, 2, &decoded);
		assert_eq!(bad.dispatch_error.as_deref(), Some("QSign(NoRootKey)"));
		let err = bad.ensure_success().unwrap_err();
		assert!(err.to_string().contains("NoRootKey"), "{err}");

		assert_eq!(
			request_outcomes(&decoded),
			vec![(2, Outcome::Signed([7; 65])), (1, Outcome::Expired)]
		);
	}

	#[test]
	fn the_events_key_is_the_well_known_one() {
		assert_eq!(
			hex::encode(events_storage_key()),
			"26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"
		);
	}
}
