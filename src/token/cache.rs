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

use crate::claims::{AuthInfo, heap};
use crate::keys::VerifyingKey;
use crate::telemetry;

/// What one entry costs besides its token and its `AuthInfo` record: its slot in the cache
/// (the key and the entry, the cache's own bookkeeping, and the slack of its tables) and the
/// hook that tells the cache of typed claims read later. With the rest of [`weight`], checked
/// against the allocator's usable sizes by `tests/cache_memory.rs`: the weight must not be
/// below the real cost (nor far above).
const ENTRY_OVERHEAD: usize = 224 + heap::chunk(4 * size_of::<usize>());

/// The heap an entry holds, in allocator chunks: the token (the key, shared with the growth
/// hook), and the `AuthInfo` record with everything it took from the claims. Typed custom
/// claims read later add their own weight (see [`VerifiedCache::insert`]).
fn weight(token: &str, info: &AuthInfo) -> u64 {
    (ENTRY_OVERHEAD + heap::chunk(2 * size_of::<usize>() + token.len()) + info.heap_bytes()) as u64
}

/// A cached token: the whole token, compared in full (shared with its entry's growth hook).
#[derive(PartialEq, Eq)]
struct TokenKey(Arc<str>);

/// A token looked up, without copying it (nor checking it is UTF-8: equal bytes are).
struct TokenRef<'a>(&'a [u8]);

/// Hashes a token by its length and the last 32 bytes of its signature: those differ between
/// any two tokens the issuer signed, and hashing them costs the same for a token of 50 scopes
/// as for one of 1. (Only the bucket depends on it; a match compares the whole token.)
fn hash_token<H: Hasher>(bytes: &[u8], state: &mut H) {
    bytes.len().hash(state);
    bytes[bytes.len().saturating_sub(32)..].hash(state);
}

impl Hash for TokenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_token(self.0.as_bytes(), state);
    }
}

impl Hash for TokenRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_token(self.0, state);
    }
}

impl Equivalent<TokenKey> for TokenRef<'_> {
    fn equivalent(&self, key: &TokenKey) -> bool {
        key.0.as_bytes() == self.0
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

type Tokens = Cache<TokenKey, Entry, EntryWeight, DefaultHashBuilder, CountEvictions>;

pub(crate) struct VerifiedCache {
    /// Shared with the growth hooks of the entries (which hold it weakly).
    cache: Arc<Tokens>,
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
        // A Logto token and its payload weigh about 2.7 KiB here.
        let estimated_items = usize::try_from(capacity / 2720)
            .unwrap_or(usize::MAX)
            .max(16);
        Self {
            cache: Arc::new(Cache::with(
                estimated_items,
                capacity,
                EntryWeight,
                DefaultHashBuilder::default(),
                evictions,
            )),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: counter,
        }
    }

    /// The entry for exactly `token`, if held.
    pub(crate) fn get(&self, token: &[u8]) -> Option<Entry> {
        self.cache.get(&TokenRef(token))
    }

    /// Records a lookup that found a usable entry.
    pub(crate) fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
        telemetry::cache_hit();
    }

    /// Records a lookup that found nothing usable; drops what was there.
    pub(crate) fn miss(&self, token: &[u8], stale: bool) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        telemetry::cache_miss();
        if stale {
            self.cache.remove(&TokenRef(token));
        }
    }

    /// Keeps a token whose signature `key` verified. Custom claims the token is read as later
    /// (`AuthInfo::custom_claims`, by an extractor's type) add their weight to its entry, so
    /// that the capacity bounds them too.
    pub(crate) fn insert(&self, token: &str, info: AuthInfo, key: Arc<VerifyingKey>) {
        let token: Arc<str> = token.into();
        let weight = weight(&token, &info);
        let tokens = Arc::downgrade(&self.cache);
        // The record's address, not the record: the hook lives in the record itself. (While
        // the hook runs, the record lives, so no other record can have its address.)
        let (held, record) = (token.clone(), info.address());
        info.data().custom.on_growth(Box::new(move |grown| {
            let Some(tokens) = tokens.upgrade() else {
                return;
            };
            // The entry of this very record, if it is still held (not evicted, nor replaced
            // by a newer verification of the token).
            let Some(mut entry) = tokens
                .peek(&TokenRef(held.as_bytes()))
                .filter(|entry| entry.info.address() == record)
            else {
                return;
            };
            entry.weight = entry.weight.saturating_add(grown as u64);
            let _ = tokens.replace(TokenKey(held.clone()), entry, true);
        }));
        self.cache
            .insert(TokenKey(token), Entry { info, key, weight });
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
