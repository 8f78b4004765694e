//! What claims hold on the heap, counted as the allocator counts it: each allocation costs
//! its chunk, not the bytes asked for. The verified-token cache weighs its entries with this,
//! so that its capacity bounds real memory (`tests/cache_memory.rs` checks it against the
//! allocator's usable sizes).

use serde_json::{Map, Value};

/// The memory one allocation of `requested` bytes takes (glibc's malloc on 64-bit targets, the
/// common case; others round alike): an 8-byte header, rounded up to 16, at least 32 bytes.
/// Nothing for an empty request (no allocation).
pub(crate) const fn chunk(requested: usize) -> usize {
    if requested == 0 {
        return 0;
    }
    let with_header = (requested + 8 + 15) & !15;
    if with_header < 32 { 32 } else { with_header }
}

/// The node of serde_json's `Map` (a `BTreeMap<String, Value>`): up to 11 keys (24 bytes each)
/// and values (32 bytes each), the links and lengths; internal nodes also hold 12 edges.
const LEAF_NODE: usize = 11 * (24 + 32) + 16;
const INTERNAL_NODE: usize = LEAF_NODE + 12 * 8;

/// A JSON value's heap: its strings, arrays and objects, all the way down.
pub(crate) fn value(v: &Value) -> usize {
    match v {
        Value::String(s) => chunk(s.capacity()),
        Value::Array(items) => {
            chunk(items.capacity() * size_of::<Value>()) + items.iter().map(value).sum::<usize>()
        }
        Value::Object(object) => map(object),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

/// A JSON object's heap: its B-tree nodes, keys and values.
pub(crate) fn map(map: &Map<String, Value>) -> usize {
    // One leaf holds up to 11 entries; past that, leaves hold 5 to 11, under internal nodes
    // (each of which holds one entry too).
    let (leaves, internals) = match map.len() {
        0 => (0, 0),
        1..=11 => (1, 0),
        n => (n.div_ceil(5), n.div_ceil(5).div_ceil(6)),
    };
    leaves * chunk(LEAF_NODE)
        + internals * chunk(INTERNAL_NODE)
        + map
            .iter()
            .map(|(k, v)| chunk(k.capacity()) + value(v))
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_as_glibc_rounds_them() {
        assert_eq!(chunk(0), 0);
        assert_eq!(chunk(1), 32);
        assert_eq!(chunk(24), 32);
        assert_eq!(chunk(25), 48);
        assert_eq!(chunk(40), 48);
        assert_eq!(chunk(41), 64);
        assert_eq!(chunk(1000), 1008);
    }
}
