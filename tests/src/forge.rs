//! Automerge chunks a hostile device could craft by hand: well-formed, checksummed, and far larger
//! once decoded than on the wire. Built byte by byte from Automerge's storage format, so tests can
//! send what no honest client would make.

use sha2::{Digest, Sha256};

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0);
        if done {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A chunk of `kind` around `body`: magic, checksum (the first bytes of the SHA-256 of type,
/// length and body), type, length, body.
pub fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut typed = vec![kind];
    uleb(&mut typed, body.len() as u64);
    let mut h = Sha256::new();
    h.update(&typed);
    h.update(body);
    let sum = h.finalize();
    let mut out = vec![0x85, 0x6f, 0x4a, 0x83];
    out.extend_from_slice(&sum[..4]);
    out.extend_from_slice(&typed);
    out.extend_from_slice(body);
    out
}

/// The body of one change by `actor` (16 bytes) holding `n` puts of null to the root's key "k",
/// every column a single run: a few dozen bytes, whatever `n`.
pub fn puts_body(actor: [u8; 16], n: u64) -> Vec<u8> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let mut body = Vec::new();
    uleb(&mut body, 0); // dependencies
    uleb(&mut body, 16);
    body.extend_from_slice(&actor);
    uleb(&mut body, 1); // seq
    uleb(&mut body, 1); // start op
    sleb(&mut body, 0); // time
    uleb(&mut body, 0); // message
    uleb(&mut body, 0); // other actors
    let mut key = Vec::new();
    sleb(&mut key, n);
    uleb(&mut key, 1);
    key.push(b'k');
    let mut insert = Vec::new();
    uleb(&mut insert, n.unsigned_abs());
    let run_of = |v: u64| {
        let mut c = Vec::new();
        sleb(&mut c, n);
        uleb(&mut c, v);
        c
    };
    // Key string, insert, action (1: put), value metadata (0: null), pred group (none).
    let cols = [
        (0x15, key),
        (0x34, insert),
        (0x42, run_of(1)),
        (0x56, run_of(0)),
        (0x70, run_of(0)),
    ];
    uleb(&mut body, cols.len() as u64);
    for (spec, data) in &cols {
        uleb(&mut body, *spec);
        uleb(&mut body, data.len() as u64);
    }
    for (_, data) in &cols {
        body.extend_from_slice(data);
    }
    body
}

/// [`puts_body`] as a change chunk.
pub fn puts(actor: [u8; 16], n: u64) -> Vec<u8> {
    chunk(1, &puts_body(actor, n))
}

/// A compressed change chunk whose body inflates to `len` bytes (a change whose message is that
/// many zeros): a few kilobytes on the wire.
pub fn inflating(actor: [u8; 16], len: usize) -> Vec<u8> {
    use std::io::Write;
    let mut body = Vec::new();
    uleb(&mut body, 0);
    uleb(&mut body, 16);
    body.extend_from_slice(&actor);
    uleb(&mut body, 1);
    uleb(&mut body, 1);
    sleb(&mut body, 0);
    uleb(&mut body, len as u64);
    body.resize(body.len() + len, b'0');
    uleb(&mut body, 0);
    uleb(&mut body, 0);
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let deflated = z
        .write_all(&body)
        .and_then(|()| z.finish())
        .unwrap_or_default();
    chunk(2, &deflated)
}
