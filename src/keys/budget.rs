//! The budget of key fetches caused by unknown `kid`s: a token bucket of [`BURST`] fetches that
//! refills one every `unknown_kid_cooldown`.
//!
//! One flat cooldown after every such fetch let one forged token (a random `kid`, a signature
//! of the right length: no key needed) hide a key that the issuer rotated in right after it,
//! for the whole cooldown; two real rotations in a row were as bad. With a bucket, a stray
//! unknown `kid` costs one fetch of [`BURST`] and the next real rotation is still found at
//! once; an attacker who keeps the bucket empty gets one fetch per cooldown, as before, and the
//! store then fetches by itself as soon as the bucket refills (see `KeyStore`), so a key rotated
//! in during the probe is found within one cooldown, without waiting for a request.

use std::time::{Duration, Instant};

/// How many fetches for unknown `kid`s may run back to back.
pub(crate) const BURST: u32 = 3;

/// The fetches left, and when the bucket last gained one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KidBudget {
    available: u32,
    refilled_at: Instant,
}

impl KidBudget {
    /// A full bucket.
    pub(crate) fn full(now: Instant) -> Self {
        Self {
            available: BURST,
            refilled_at: now,
        }
    }

    /// An empty bucket (the fixed key store of the fuzz targets, which never fetches).
    #[cfg(any(test, fuzzing))]
    pub(crate) fn empty(now: Instant) -> Self {
        Self {
            available: 0,
            refilled_at: now,
        }
    }

    /// Adds the fetches earned since the last refill, one per `every`, up to [`BURST`].
    fn refill(&mut self, now: Instant, every: Duration) {
        if self.available >= BURST {
            self.refilled_at = now;
            return;
        }
        let elapsed = now.saturating_duration_since(self.refilled_at).as_nanos();
        let earned = elapsed / every.as_nanos().max(1);
        if earned == 0 {
            return;
        }
        let earned = u32::try_from(earned).unwrap_or(u32::MAX);
        self.available = self.available.saturating_add(earned).min(BURST);
        self.refilled_at = if self.available >= BURST {
            now
        } else {
            // `earned` refills of `every` fit in `elapsed`, so this is at most `now`.
            self.refilled_at + every * earned
        };
    }

    /// Whether a fetch may run now.
    pub(crate) fn allows(&mut self, now: Instant, every: Duration) -> bool {
        self.refill(now, every);
        self.available > 0
    }

    /// Spends one fetch (after [`allows`](Self::allows) said yes).
    pub(crate) fn spend(&mut self, now: Instant, every: Duration) {
        self.refill(now, every);
        self.available = self.available.saturating_sub(1);
    }

    /// How long until the bucket holds a fetch again: `Some(ZERO)` when it holds one now,
    /// `None` when it never refills (an interval too long to add to an `Instant`).
    pub(crate) fn next_in(&mut self, now: Instant, every: Duration) -> Option<Duration> {
        self.refill(now, every);
        if self.available > 0 {
            return Some(Duration::ZERO);
        }
        let next = self.refilled_at.checked_add(every)?;
        Some(next.saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_interval() {
        let every = Duration::from_secs(30);
        let start = Instant::now();
        let mut budget = KidBudget::full(start);
        for _ in 0..BURST {
            assert!(budget.allows(start, every));
            budget.spend(start, every);
        }
        assert!(!budget.allows(start, every));
        assert_eq!(budget.next_in(start, every), Some(every));
        let later = start + Duration::from_secs(29);
        assert!(!budget.allows(later, every));
        assert_eq!(budget.next_in(later, every), Some(Duration::from_secs(1)));
        // One per interval, no more.
        let one = start + every;
        assert!(budget.allows(one, every));
        budget.spend(one, every);
        assert!(!budget.allows(one + Duration::from_secs(1), every));
        // A long quiet time refills the bucket, never past the burst.
        let quiet = one + every * 100;
        for _ in 0..BURST {
            assert!(budget.allows(quiet, every));
            budget.spend(quiet, every);
        }
        assert!(!budget.allows(quiet, every));
    }

    #[test]
    fn an_endless_interval_never_refills() {
        let now = Instant::now();
        let mut budget = KidBudget::empty(now);
        assert!(!budget.allows(now + Duration::from_secs(3600), Duration::MAX));
        assert_eq!(budget.next_in(now, Duration::MAX), None);
    }
}
