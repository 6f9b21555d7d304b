//! Automerge storage chunks as peers send them and samod stores them, split and decoded.

pub mod measure;

use automerge::{Automerge, Change};

use crate::{Error, Result};

/// Decodes what a peer sent. A sync message's chunk may be one change, several changes back to
/// back (the v2 sync format), or a whole saved document; each piece is split off by its header and
/// decoded on its own. Bytes that do not decode are refused whole.
/// The changes in Automerge storage chunks: documents (every change they hold) and single
/// changes (plain or compressed). Used for what samod stores and for what devices send.
pub fn decode_chunks(encoded: &[Vec<u8>]) -> Result<Vec<Change>> {
    guarded("a sync or stored chunk", || decode_unguarded(encoded))?
}

/// Runs an Automerge decode of bytes from outside, turning a panic into a corrupt-document error.
/// Fuzzing found Automerge 0.12's bundle parser unwrapping a short read (`fuzz/`, the
/// `doc_load` target; the fixture is `store/tests/it/bad_input.rs`): a device's bytes must never
/// take down the thread that reads them.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        Error::from(gridvoice_core::Error::CorruptDocument(format!(
            "{what} does not decode (the decoder failed)"
        )))
    })
}

fn decode_unguarded(encoded: &[Vec<u8>]) -> Result<Vec<Change>> {
    let corrupt = |what: String| Error::from(gridvoice_core::Error::CorruptDocument(what));
    let mut changes = Vec::with_capacity(encoded.len());
    for bytes in encoded {
        for piece in split_chunks(bytes).map_err(corrupt)? {
            match piece.kind {
                // A document chunk: every change it holds.
                0 => {
                    let doc = Automerge::load(piece.whole)
                        .map_err(|e| corrupt(format!("document chunk does not decode: {e}")))?;
                    changes.extend(doc.get_changes(&[]));
                }
                // A bundle: neither Automerge's sync nor samod's storage writes one, and
                // Automerge 0.12's bundle parser panics on short input and expands runs before
                // checking them (both found by fuzzing): refused wherever it comes from.
                3 => {
                    return Err(corrupt(
                        "a bundle chunk (neither sync nor storage writes one)".into(),
                    ));
                }
                _ => changes.push(
                    Change::from_bytes(piece.whole.to_vec())
                        .map_err(|e| corrupt(format!("change chunk does not decode: {e}")))?,
                ),
            }
        }
    }
    Ok(changes)
}

/// One Automerge storage chunk: magic (4 bytes), checksum (4), type (1), LEB128 length, body.
struct Piece<'a> {
    whole: &'a [u8],
    kind: u8,
    /// Where the body starts (after magic, checksum, type and length).
    header: usize,
}

impl<'a> Piece<'a> {
    fn body(&self) -> &'a [u8] {
        &self.whole[self.header..]
    }
}

const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

fn split_chunks(mut bytes: &[u8]) -> std::result::Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    if bytes.is_empty() {
        return Err("empty chunk".into());
    }
    while !bytes.is_empty() {
        if bytes.len() < 10 || bytes[..4] != CHUNK_MAGIC {
            return Err("not an automerge chunk".into());
        }
        let kind = bytes[8];
        let mut len: u64 = 0;
        let mut shift = 0;
        let mut i = 9;
        loop {
            let b = *bytes.get(i).ok_or("truncated chunk length")?;
            len |= u64::from(b & 0x7f) << shift;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 56 {
                return Err("chunk length too long".into());
            }
        }
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| i.checked_add(l))
            .filter(|&e| e <= bytes.len())
            .ok_or("truncated chunk")?;
        out.push(Piece {
            whole: &bytes[..end],
            kind,
            header: i,
        });
        bytes = &bytes[end..];
    }
    Ok(out)
}
