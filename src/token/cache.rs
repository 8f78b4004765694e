//! The verified-token cache: tokens whose signature (step 4) was verified, so that a client
//! that sends one token again and again pays one signature verification, not one per request.
//!
//! - Keyed by the whole token string and compared in full: two different tokens never share an
//!   entry. (Never by the signature alone: ECDSA signatures are malleable, and a copied
//!   signature must never vouch for another header or payload.)
//! - Holds successes only: a token that fails steps 1-4 is never stored.
//! - Skips only the signature: the caller runs the time, issuer, audience and organization
//!   rules on every use, and an entry counts only while the key that verified it is in the
//!   current key set (a key dropped by a refresh takes its tokens with it).
//! - Bounded by memory: each entry weighs an estimate of the bytes it holds, and the cache
//!   evicts (S3-FIFO, by `quick_cache`) to stay under its capacity.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use equivalent::Equivalent;

use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, Weighter};
use serde_json::Value;

use crate::claims::AuthInfo;
use crate::keys::VerifyingKey;
use crate::telemetry;

/// What one entry costs besides its token and claims: the `AuthInfo` record, the entry and the
/// cache's own bookkeeping. With the rest of [`weight`], checked against a counting allocator
/// by `tests/cache_memory.rs`: the weight must not be below the real cost (nor far above).
const ENTRY_OVERHEAD: usize = 512;

/// A node of serde_json's `Map` (a `BTreeMap<String, Value>`): up to 11 entries of a `String`
/// (24 bytes) and a `Value` (32 bytes), with its links.
const MAP_NODE: usize = 11 * (24 + 32) + 96;

/// The heap bytes an entry holds: the token (the key), the claims as parsed JSON, and the
/// strings `AuthInfo` copies out of them.
fn weight(token: &str, info: &AuthInfo) -> u64 {
    fn map(map: &serde_json::Map<String, Value>) -> usize {
        // One node holds up to 11 entries; past that, split nodes hold 5 or more, under at
        // least one node of links.
        let nodes = match map.len() {
            0 => 0,
            1..=11 => 1,
            n => n.div_ceil(5) + 1,
        };
        nodes * MAP_NODE
            + map
                .iter()
                .map(|(k, v)| k.capacity() + value(v))
                .sum::<usize>()
    }
    fn value(v: &Value) -> usize {
        match v {
            Value::String(s) => s.capacity(),
            Value::Array(items) => {
                items.capacity() * size_of::<Value>() + items.iter().map(value).sum::<usize>()
            }
            Value::Object(object) => map(object),
            Value::Null | Value::Bool(_) | Value::Number(_) => 0,
        }
    }
    let data = info.data();
    let optional = [&data.client_id, &data.organization_id, &data.jti];
    let copied = data.sub.capacity()
        + data.issuer.capacity()
        + optional
            .iter()
            .flat_map(|s| s.as_ref())
            .map(String::capacity)
            .sum::<usize>()
        + data.audience.capacity() * size_of::<String>()
        + data.audience.iter().map(String::capacity).sum::<usize>()
        + data.scopes.heap_bytes();
    (ENTRY_OVERHEAD + token.len() + map(&data.claims) + copied) as u64
}

/// A cached token: the whole token, compared in full.
#[derive(PartialEq, Eq)]
struct TokenKey(Box<str>);

/// A token looked up, without copying it.
struct TokenRef<'a>(&'a str);

/// Hashes a token by its length and the last 32 bytes of its signature: those differ between
/// any two tokens the issuer signed, and hashing them costs the same for a token of 50 scopes
/// as for one of 1. (Only the bucket depends on it; a match compares the whole token.)
fn hash_token<H: Hasher>(token: &str, state: &mut H) {
    let bytes = token.as_bytes();
    bytes.len().hash(state);
    bytes[bytes.len().saturating_sub(32)..].hash(state);
}

impl Hash for TokenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_token(&self.0, state);
    }
}

impl Hash for TokenRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_token(self.0, state);
    }
}

impl Equivalent<TokenKey> for TokenRef<'_> {
    fn equivalent(&self, key: &TokenKey) -> bool {
        *key.0 == *self.0
    }
}

/// A verified token: what it says, and the key that verified it.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) info: AuthInfo,
    pub(crate) key: Arc<VerifyingKey>,
    weight: u64,
}

#[derive(Clone)]
struct EntryWeight;

impl Weighter<TokenKey, Entry> for EntryWeight {
    fn weight(&self, _token: &TokenKey, entry: &Entry) -> u64 {
        entry.weight
    }
}

/// Counts evictions (for the stats; entries dropped for being over the capacity included).
#[derive(Clone, Default)]
struct CountEvictions(Arc<AtomicU64>);

impl Lifecycle<TokenKey, Entry> for CountEvictions {
    type RequestState = ();

    fn on_evict(&self, _: &mut (), _token: TokenKey, _entry: Entry) {
        self.0.fetch_add(1, Ordering::Relaxed);
        telemetry::cache_evicted();
    }
}

/// What the verified-token cache holds and has done; see
/// [`LogtoState::verified_token_cache_stats`](crate::LogtoState::verified_token_cache_stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Tokens held.
    pub entries: u64,
    /// Their estimated weight in bytes.
    pub weight_bytes: u64,
    /// The capacity in bytes.
    pub capacity_bytes: u64,
    /// Lookups that found a token whose key is still current (no signature verified).
    pub hits: u64,
    /// Lookups that found nothing usable (a signature was verified, or the token refused).
    pub misses: u64,
    /// Tokens evicted to stay under the capacity.
    pub evictions: u64,
}

pub(crate) struct VerifiedCache {
    cache: Cache<TokenKey, Entry, EntryWeight, DefaultHashBuilder, CountEvictions>,
    capacity: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: Arc<AtomicU64>,
}

impl std::fmt::Debug for VerifiedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCache")
            .field("stats", &self.stats())
            .finish()
    }
}

impl VerifiedCache {
    /// A cache of `capacity` bytes (not zero).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity as u64;
        let evictions = CountEvictions::default();
        let counter = evictions.0.clone();
        // A Logto token and its payload weigh about 2 KiB here.
        let estimated_items = usize::try_from(capacity / 2048)
            .unwrap_or(usize::MAX)
            .max(16);
        Self {
            cache: Cache::with(
                estimated_items,
                capacity,
                EntryWeight,
                DefaultHashBuilder::default(),
                evictions,
            ),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: counter,
        }
    }

    /// The entry for exactly `token`, if held.
    pub(crate) fn get(&self, token: &str) -> Option<Entry> {
        self.cache.get(&TokenRef(token))
    }

    /// Records a lookup that found a usable entry.
    pub(crate) fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
        telemetry::cache_hit();
    }

    /// Records a lookup that found nothing usable; drops what was there.
    pub(crate) fn miss(&self, token: &str, stale: bool) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        telemetry::cache_miss();
        if stale {
            self.cache.remove(&TokenRef(token));
        }
    }

    /// Keeps a token whose signature `key` verified.
    pub(crate) fn insert(&self, token: &str, info: AuthInfo, key: Arc<VerifyingKey>) {
        let weight = weight(token, &info);
        self.cache
            .insert(TokenKey(token.into()), Entry { info, key, weight });
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.cache.len() as u64,
            weight_bytes: self.cache.weight(),
            capacity_bytes: self.capacity,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}
