//! The size of what a peer sent, read off the chunks' column headers **before** Automerge decodes
//! them. Automerge's columns are run-length encoded and may be deflated, so a few bytes can stand
//! for billions of operations; decoding such a chunk would take the server's memory and minutes of
//! its time. Here every column's rows are counted run by run (a run of a billion costs one step)
//! and every deflated column is inflated into a bounded buffer, so the cost of measuring is the
//! cost of the bytes received.

use std::io::Read;

use gridvoice_core::limits::{MAX_INFLATED_BYTES, MAX_OPS_PER_CHANGE, MAX_OPS_PER_MESSAGE};

use super::split_chunks;

/// What the chunks of one message hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    /// Operations in all (an upper bound: the longest op column of each chunk).
    pub ops: u64,
    /// Operations in the largest single change.
    pub largest_change: u64,
    /// Bytes once every deflated part is inflated.
    pub inflated: u64,
}

/// Why a message was not measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Oversize {
    /// Over a limit: which one, in words for the log.
    TooLarge(&'static str),
    /// The chunks' headers do not parse.
    Unreadable(&'static str),
}

/// The limits a message is held to (the defaults are `gridvoice_core::limits`').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub ops_per_change: u64,
    pub ops_per_message: u64,
    pub inflated_bytes: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            ops_per_change: MAX_OPS_PER_CHANGE as u64,
            ops_per_message: MAX_OPS_PER_MESSAGE as u64,
            inflated_bytes: MAX_INFLATED_BYTES as u64,
        }
    }
}

/// Measures the chunks of one sync message against `bounds`, without decoding any of them.
pub fn measure(encoded: &[Vec<u8>], bounds: Bounds) -> Result<Measure, Oversize> {
    let mut m = Measure::default();
    for bytes in encoded {
        for piece in split_chunks(bytes).map_err(|_| Oversize::Unreadable("chunk header"))? {
            let body = piece.body();
            m.inflated += body.len() as u64;
            let rows = match piece.kind {
                0 => document(body, &mut m, bounds)?,
                1 => {
                    let ops = change(body, &mut m, bounds)?;
                    m.largest_change = m.largest_change.max(ops);
                    ops
                }
                2 => {
                    let inflated = inflate(body, &mut m, bounds)?;
                    let ops = change(&inflated, &mut m, bounds)?;
                    m.largest_change = m.largest_change.max(ops);
                    ops
                }
                // Automerge's sync never sends bundles (it sends changes or a saved document),
                // and its bundle parser expands runs before checking them (fuzzing found 500
                // bytes that take gigabytes): from a peer, a bundle is refused unread.
                3 => return Err(Oversize::Unreadable("a bundle (sync sends none)")),
                _ => return Err(Oversize::Unreadable("chunk type")),
            };
            m.ops = m.ops.saturating_add(rows);
            if m.largest_change > bounds.ops_per_change {
                return Err(Oversize::TooLarge("operations in one change"));
            }
            if m.ops > bounds.ops_per_message {
                return Err(Oversize::TooLarge("operations in one message"));
            }
        }
    }
    Ok(m)
}

/// A change chunk's body: its header fields, then its op columns. Its rows are its operations.
fn change(body: &[u8], m: &mut Measure, bounds: Bounds) -> Result<u64, Oversize> {
    let mut r = Reader(body);
    r.hashes()?;
    r.bytes()?; // actor
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    r.bytes()?; // message
    let others = r.uleb()?;
    for _ in 0..others {
        r.bytes()?;
    }
    let meta = r.columns()?;
    columns(&mut r, &meta, m, bounds)
}

/// A document chunk: actors, heads, the change and op columns' metadata, then their data. Its
/// op rows are what loading it would build.
fn document(body: &[u8], m: &mut Measure, bounds: Bounds) -> Result<u64, Oversize> {
    let mut r = Reader(body);
    let actors = r.uleb()?;
    for _ in 0..actors {
        r.bytes()?;
    }
    r.hashes()?;
    let change_meta = r.columns()?;
    let ops_meta = r.columns()?;
    columns(&mut r, &change_meta, m, bounds)?;
    columns(&mut r, &ops_meta, m, bounds)
}

/// The most rows any of these columns holds (inflating deflated ones within the budget).
fn columns(
    r: &mut Reader<'_>,
    meta: &[(u32, u64)],
    m: &mut Measure,
    bounds: Bounds,
) -> Result<u64, Oversize> {
    let mut most = 0;
    for &(spec, len) in meta {
        let data = r.take(len)?;
        let inflated;
        let data = if spec & 0b1000 != 0 {
            inflated = inflate(data, m, bounds)?;
            &inflated[..]
        } else {
            data
        };
        most = most.max(rows(spec & 0b111, data)?);
    }
    Ok(most)
}

/// Inflates a deflated part into at most what is left of the budget.
fn inflate(data: &[u8], m: &mut Measure, bounds: Bounds) -> Result<Vec<u8>, Oversize> {
    let left = bounds.inflated_bytes.saturating_sub(m.inflated);
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(left.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|_| Oversize::Unreadable("deflated column"))?;
    m.inflated += out.len() as u64;
    if m.inflated > bounds.inflated_bytes {
        return Err(Oversize::TooLarge("bytes once inflated"));
    }
    Ok(out)
}

/// Rows in one column of type `ty` (Automerge's column types): run-length columns count run by
/// run; boolean columns are alternating run lengths; raw value bytes have no rows of their own.
fn rows(ty: u32, data: &[u8]) -> Result<u64, Oversize> {
    let mut r = Reader(data);
    let mut n: u64 = 0;
    match ty {
        // Boolean: run lengths, false first.
        4 => {
            while !r.0.is_empty() {
                n = n.saturating_add(r.uleb()?);
            }
        }
        // Raw values: sized by the metadata column.
        7 => {}
        // Group, actor, integer, delta, string, value metadata: run-length encoded.
        _ => {
            while !r.0.is_empty() {
                let count = r.sleb()?;
                if count > 0 {
                    r.value(ty)?;
                    n = n.saturating_add(count.unsigned_abs());
                } else if count < 0 {
                    for _ in 0..count.unsigned_abs() {
                        r.value(ty)?;
                    }
                    n = n.saturating_add(count.unsigned_abs());
                } else {
                    n = n.saturating_add(r.uleb()?);
                }
            }
        }
    }
    Ok(n)
}

/// A cursor over bytes, refusing anything that runs past their end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8], Oversize> {
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.0.len())
            .ok_or(Oversize::Unreadable("truncated"))?;
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn uleb(&mut self) -> Result<u64, Oversize> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let [b, rest @ ..] = self.0 else {
                return Err(Oversize::Unreadable("truncated number"));
            };
            self.0 = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Oversize::Unreadable("number too long"))
    }

    fn sleb(&mut self) -> Result<i64, Oversize> {
        let mut v: i64 = 0;
        let mut shift = 0;
        loop {
            let [b, rest @ ..] = self.0 else {
                return Err(Oversize::Unreadable("truncated number"));
            };
            self.0 = rest;
            if shift < 64 {
                v |= i64::from(b & 0x7f) << shift;
            } else {
                return Err(Oversize::Unreadable("number too long"));
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    v |= -1_i64 << shift;
                }
                return Ok(v);
            }
        }
    }

    /// A length-prefixed byte string.
    fn bytes(&mut self) -> Result<&'a [u8], Oversize> {
        let n = self.uleb()?;
        self.take(n)
    }

    /// A count of change hashes, then the hashes (32 bytes each).
    fn hashes(&mut self) -> Result<(), Oversize> {
        let n = self.uleb()?;
        self.take(n.checked_mul(32).ok_or(Oversize::Unreadable("truncated"))?)?;
        Ok(())
    }

    /// Column metadata: a count, then (specification, length) pairs.
    fn columns(&mut self) -> Result<Vec<(u32, u64)>, Oversize> {
        let n = self.uleb()?;
        // Each pair takes at least two bytes: a count beyond that is a lie about the input.
        if n > self.0.len() as u64 / 2 {
            return Err(Oversize::Unreadable("column count"));
        }
        let mut out = Vec::new();
        for _ in 0..n {
            let spec =
                u32::try_from(self.uleb()?).map_err(|_| Oversize::Unreadable("column spec"))?;
            out.push((spec, self.uleb()?));
        }
        Ok(out)
    }

    /// Skips one value of a run-length column of type `ty`.
    fn value(&mut self, ty: u32) -> Result<(), Oversize> {
        match ty {
            3 => self.sleb().map(drop),
            5 => self.bytes().map(drop),
            _ => self.uleb().map(drop),
        }
    }
}
