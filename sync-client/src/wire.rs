//! The automerge-repo wire format: one CBOR map per WebSocket binary frame.
//!
//! Field names follow `samod-core/src/network/wire_protocol.rs` (0.16), which is what
//! `@automerge/automerge-repo` speaks: `type`, `senderId`, `targetId`, `documentId`,
//! `supportedProtocolVersions`, `selectedProtocolVersion`, `peerMetadata`, `data`, `message`.
//! Decoding is tolerant of what peers may add (unknown keys are skipped; unknown message types
//! such as `ephemeral` and `remote-heads-changed` decode to [`WireMessage::Other`] and are ignored)
//! and strict about what we rely on (a missing field or a wrong CBOR type is an error).
//!
//! Document ids on the wire are the bs58check form of the 16 UUID bytes, which is samod's
//! `DocumentId` `Display` and JS's `binaryToDocumentId`.
//!
//! ```
//! use gridvoice_sync::wire::WireMessage;
//! let join = WireMessage::Join { sender_id: "dev-1".into(), supported_protocol_versions: vec!["1".into()] };
//! let bytes = join.encode().unwrap();
//! assert_eq!(WireMessage::decode(&bytes).unwrap(), join);
//! ```

use std::convert::Infallible;

use gridvoice_core::ids::DocId;
use minicbor::data::Type;
use uuid::Uuid;

/// The protocol version both ends must speak.
pub const PROTOCOL_VERSION: &str = "1";

/// A message of the automerge-repo network protocol (the subset a device needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireMessage {
    /// We open the session with it.
    Join {
        sender_id: String,
        supported_protocol_versions: Vec<String>,
    },
    /// The server's answer to `join`.
    Peer {
        sender_id: String,
        target_id: String,
        selected_protocol_version: String,
    },
    /// "I do not have this document, please send it" (carries a sync message too).
    Request {
        document_id: String,
        sender_id: String,
        target_id: String,
        data: Vec<u8>,
    },
    /// One Automerge sync message about one document.
    Sync {
        document_id: String,
        sender_id: String,
        target_id: String,
        data: Vec<u8>,
    },
    /// The sender does not have the document, or will not share it (the same answer, so existence
    /// does not leak).
    DocUnavailable {
        sender_id: String,
        target_id: String,
        document_id: String,
    },
    /// A protocol error; the sender closes the connection after it.
    Error { message: String },
    /// The sender is about to disconnect.
    Leave { sender_id: String },
    /// Any other type (`ephemeral`, `remote-heads-changed`, future types): ignored.
    Other { kind: String },
}

/// Why a frame is not a message we understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("frame is not valid CBOR for this protocol: {0}")]
    Cbor(String),
    #[error("message has no type")]
    MissingType,
    #[error("{kind} message lacks field {field}")]
    MissingField { kind: String, field: &'static str },
    #[error("bad document id")]
    BadDocumentId,
}

impl From<minicbor::decode::Error> for WireError {
    fn from(e: minicbor::decode::Error) -> Self {
        WireError::Cbor(e.to_string())
    }
}

impl From<minicbor::encode::Error<Infallible>> for WireError {
    fn from(e: minicbor::encode::Error<Infallible>) -> Self {
        WireError::Cbor(e.to_string())
    }
}

/// The wire form of a document id.
pub fn doc_to_wire(id: &DocId) -> String {
    bs58::encode(id.0.as_bytes()).with_check().into_string()
}

/// A document id from the wire: bs58check of 16 bytes, or (legacy, as samod accepts) a UUID string.
pub fn doc_from_wire(s: &str) -> Result<DocId, WireError> {
    if let Ok(bytes) = bs58::decode(s).with_check(None).into_vec() {
        return Uuid::from_slice(&bytes)
            .map(DocId)
            .map_err(|_| WireError::BadDocumentId);
    }
    Uuid::parse_str(s)
        .map(DocId)
        .map_err(|_| WireError::BadDocumentId)
}

#[derive(Default)]
struct Fields {
    kind: Option<String>,
    sender_id: Option<String>,
    target_id: Option<String>,
    document_id: Option<String>,
    selected_protocol_version: Option<String>,
    supported_protocol_versions: Option<Vec<String>>,
    message: Option<String>,
    data: Option<Vec<u8>>,
}

impl WireMessage {
    /// Parses one frame. Never panics; anything unexpected is an `Err`.
    pub fn decode(frame: &[u8]) -> Result<WireMessage, WireError> {
        let mut d = minicbor::Decoder::new(frame);
        // Indefinite-length maps are legal CBOR but no automerge-repo peer sends them.
        let len = d
            .map()?
            .ok_or_else(|| WireError::Cbor("indefinite-length map".into()))?;
        let mut f = Fields::default();
        for _ in 0..len {
            let key = d.str()?;
            match key {
                "type" => f.kind = Some(d.str()?.to_owned()),
                "senderId" => f.sender_id = Some(d.str()?.to_owned()),
                "targetId" => f.target_id = Some(d.str()?.to_owned()),
                "selectedProtocolVersion" => {
                    f.selected_protocol_version = Some(d.str()?.to_owned());
                }
                "message" => f.message = Some(d.str()?.to_owned()),
                "documentId" => {
                    f.document_id = Some(if d.datatype()? == Type::Bytes {
                        // Binary ids are legal too; normalise to the string form.
                        let b = d.bytes()?;
                        let u = Uuid::from_slice(b).map_err(|_| WireError::BadDocumentId)?;
                        doc_to_wire(&DocId(u))
                    } else {
                        d.str()?.to_owned()
                    });
                }
                "supportedProtocolVersions" => {
                    let n = d
                        .array()?
                        .ok_or_else(|| WireError::Cbor("indefinite-length array".into()))?;
                    let mut v = Vec::new();
                    for _ in 0..n {
                        v.push(d.str()?.to_owned());
                    }
                    f.supported_protocol_versions = Some(v);
                }
                "data" => f.data = Some(d.bytes()?.to_vec()),
                _ => d.skip()?,
            }
        }
        let kind = f.kind.take().ok_or(WireError::MissingType)?;
        let need = |v: Option<String>, field: &'static str| {
            v.ok_or_else(|| WireError::MissingField {
                kind: kind.clone(),
                field,
            })
        };
        Ok(match kind.as_str() {
            "join" => WireMessage::Join {
                sender_id: need(f.sender_id, "senderId")?,
                supported_protocol_versions: f.supported_protocol_versions.ok_or_else(|| {
                    WireError::MissingField {
                        kind: kind.clone(),
                        field: "supportedProtocolVersions",
                    }
                })?,
            },
            "peer" => WireMessage::Peer {
                sender_id: need(f.sender_id, "senderId")?,
                target_id: need(f.target_id, "targetId")?,
                selected_protocol_version: need(
                    f.selected_protocol_version,
                    "selectedProtocolVersion",
                )?,
            },
            "request" | "sync" => {
                let document_id = need(f.document_id, "documentId")?;
                let sender_id = need(f.sender_id, "senderId")?;
                let target_id = need(f.target_id, "targetId")?;
                let data = f.data.ok_or_else(|| WireError::MissingField {
                    kind: kind.clone(),
                    field: "data",
                })?;
                if kind == "sync" {
                    WireMessage::Sync {
                        document_id,
                        sender_id,
                        target_id,
                        data,
                    }
                } else {
                    WireMessage::Request {
                        document_id,
                        sender_id,
                        target_id,
                        data,
                    }
                }
            }
            "doc-unavailable" => WireMessage::DocUnavailable {
                sender_id: need(f.sender_id, "senderId")?,
                target_id: need(f.target_id, "targetId")?,
                document_id: need(f.document_id, "documentId")?,
            },
            "error" => WireMessage::Error {
                message: need(f.message, "message")?,
            },
            "leave" => WireMessage::Leave {
                sender_id: need(f.sender_id, "senderId")?,
            },
            _ => WireMessage::Other { kind },
        })
    }

    /// The frame for this message.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut e = minicbor::Encoder::new(Vec::new());
        match self {
            WireMessage::Join {
                sender_id,
                supported_protocol_versions,
            } => {
                e.map(4)?;
                e.str("type")?.str("join")?;
                e.str("senderId")?.str(sender_id)?;
                e.str("supportedProtocolVersions")?
                    .array(supported_protocol_versions.len() as u64)?;
                for v in supported_protocol_versions {
                    e.str(v)?;
                }
                // A device keeps its data, so it is not ephemeral; it does not advertise a
                // storage id because it takes no part in remote-heads gossip.
                e.str("peerMetadata")?.map(1)?;
                e.str("isEphemeral")?.bool(false)?;
            }
            WireMessage::Peer {
                sender_id,
                target_id,
                selected_protocol_version,
            } => {
                e.map(4)?;
                e.str("type")?.str("peer")?;
                e.str("senderId")?.str(sender_id)?;
                e.str("selectedProtocolVersion")?
                    .str(selected_protocol_version)?;
                e.str("targetId")?.str(target_id)?;
            }
            WireMessage::Request {
                document_id,
                sender_id,
                target_id,
                data,
            }
            | WireMessage::Sync {
                document_id,
                sender_id,
                target_id,
                data,
            } => {
                let kind = if matches!(self, WireMessage::Sync { .. }) {
                    "sync"
                } else {
                    "request"
                };
                e.map(5)?;
                e.str("type")?.str(kind)?;
                e.str("documentId")?.str(document_id)?;
                e.str("senderId")?.str(sender_id)?;
                e.str("targetId")?.str(target_id)?;
                e.str("data")?.bytes(data)?;
            }
            WireMessage::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                e.map(4)?;
                e.str("type")?.str("doc-unavailable")?;
                e.str("senderId")?.str(sender_id)?;
                e.str("targetId")?.str(target_id)?;
                e.str("documentId")?.str(document_id)?;
            }
            WireMessage::Error { message } => {
                e.map(2)?;
                e.str("type")?.str("error")?;
                e.str("message")?.str(message)?;
            }
            WireMessage::Leave { sender_id } => {
                e.map(2)?;
                e.str("type")?.str("leave")?;
                e.str("senderId")?.str(sender_id)?;
            }
            WireMessage::Other { kind } => {
                e.map(1)?;
                e.str("type")?.str(kind)?;
            }
        }
        Ok(e.into_writer())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn every_message_round_trips() {
        let msgs = [
            WireMessage::Join {
                sender_id: "dev-a".into(),
                supported_protocol_versions: vec!["1".into()],
            },
            WireMessage::Peer {
                sender_id: "srv".into(),
                target_id: "dev-a".into(),
                selected_protocol_version: "1".into(),
            },
            WireMessage::Sync {
                document_id: doc_to_wire(&DocId(Uuid::from_u128(7))),
                sender_id: "srv".into(),
                target_id: "dev-a".into(),
                data: vec![1, 2, 3],
            },
            WireMessage::Request {
                document_id: doc_to_wire(&DocId(Uuid::from_u128(7))),
                sender_id: "srv".into(),
                target_id: "dev-a".into(),
                data: vec![],
            },
            WireMessage::DocUnavailable {
                sender_id: "srv".into(),
                target_id: "dev-a".into(),
                document_id: "x".into(),
            },
            WireMessage::Error {
                message: "no".into(),
            },
            WireMessage::Leave {
                sender_id: "dev-a".into(),
            },
            WireMessage::Other {
                kind: "ephemeral".into(),
            },
        ];
        for m in msgs {
            assert_eq!(WireMessage::decode(&m.encode().unwrap()).unwrap(), m);
        }
    }

    #[test]
    fn document_ids_match_the_bs58check_form() {
        let id = DocId(Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef));
        let wire = doc_to_wire(&id);
        assert_eq!(doc_from_wire(&wire).unwrap(), id);
        assert_eq!(doc_from_wire(&id.0.to_string()).unwrap(), id);
        assert!(doc_from_wire("not-an-id").is_err());
        // 16 bytes are required.
        let short = bs58::encode([1u8, 2, 3]).with_check().into_string();
        assert!(doc_from_wire(&short).is_err());
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        let cases: [&[u8]; 8] = [
            b"",
            b"\xff",
            b"\xa1",                                 // map of 1, then nothing
            b"\xa1\x64type\x01",                     // type is not a string
            b"\xa0",                                 // no type
            b"\xa1\x64type\x64sync",                 // sync without fields
            b"\xbf\xff",                             // indefinite map
            b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff", // absurd array length
        ];
        for c in cases {
            assert!(WireMessage::decode(c).is_err(), "{c:?}");
        }
        // Unknown types are not errors: they are ignored by the session.
        let other = WireMessage::Other {
            kind: "remote-heads-changed".into(),
        };
        assert_eq!(
            WireMessage::decode(&other.encode().unwrap()).unwrap(),
            other
        );
    }
}
