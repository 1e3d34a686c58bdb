//! MessagePack encoding: structs as maps with field names (rmp-serde's named encoding), so fields can
//! be added without breaking older readers.

use serde::{Serialize, de::DeserializeOwned};

/// A value could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("failed to encode: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    #[error("failed to decode: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
    #[error("failed to decode event {event_type} v{version}: {source}")]
    Event {
        event_type: String,
        version: u16,
        #[source]
        source: PayloadError,
    },
    #[error("unknown event type {event_type} v{version}")]
    UnknownEvent { event_type: String, version: u16 },
    #[error("unsupported commit format {0}")]
    Format(u16),
}

/// Why a stored event payload could not be read as its type, at the version it was stored at.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The payload could not be written out again for decoding: a bug, never bad data.
    #[error(transparent)]
    Encode(#[from] rmpv::encode::Error),
    /// The payload lacks a field of the type, or holds a value of another type: the event is
    /// unreadable by this version of Waymark (readers quarantine its commit).
    #[error(transparent)]
    Decode(#[from] rmp_serde::decode::Error),
    /// The upcaster of an older version refused the payload (readers quarantine its commit).
    #[error(transparent)]
    Upcast(#[from] crate::events::UpcastError),
}

/// Encodes a value as MessagePack with named fields.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    Ok(rmp_serde::to_vec_named(value)?)
}

/// Decodes a MessagePack value.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    Ok(rmp_serde::from_slice(bytes)?)
}

/// Encodes a value as a dynamic MessagePack value (a map with field names).
pub(crate) fn to_value<T: Serialize>(value: &T) -> Result<rmpv::Value, CodecError> {
    let bytes = encode(value)?;
    rmpv::decode::read_value(&mut bytes.as_slice())
        .map_err(|e| CodecError::Decode(rmp_serde::decode::Error::Syntax(e.to_string())))
}

/// Decodes a dynamic MessagePack value (an event payload) with the same codec that encoded it.
/// `rmpv::ext::from_value` is not used: it reads enums only in rmpv's own layout, not as the
/// variant-name strings rmp-serde writes, so it cannot read back what [`to_value`] produced.
pub(crate) fn from_value<T: DeserializeOwned>(value: &rmpv::Value) -> Result<T, PayloadError> {
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, value)?;
    Ok(rmp_serde::from_slice(&bytes)?)
}
