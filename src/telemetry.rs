//! Metrics (feature `metrics`): what the crate counts and measures, through the `metrics`
//! facade, so that the application picks the exporter (Prometheus, StatsD, OpenTelemetry…).
//! Without the feature every function here is empty and inlined away, and the `metrics`
//! crate is not compiled.
//!
//! Every label value is one of a fixed, documented set: never a token, `sub`, `kid`, client id,
//! URL or path. The names and labels are listed in the crate docs ("Observability").

/// What started a key fetch: the `cause` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FetchCause {
    /// No usable key set loaded yet (a first request or `LogtoState::preload`, or after the
    /// keys went stale).
    FirstLoad,
    /// `LogtoState::preload` while a usable key set is loaded.
    Preload,
    /// The background refresh.
    Timer,
    /// A token named a `kid` the loaded set does not have.
    UnknownKid,
}

impl FetchCause {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::FirstLoad => "first_load",
            Self::Preload => "preload",
            Self::Timer => "timer",
            Self::UnknownKid => "unknown_kid",
        }
    }
}

#[cfg(feature = "metrics")]
mod enabled {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use metrics::{counter, gauge, histogram};

    use super::FetchCause;

    /// All literals: the macro makes the key a `static`, so counting an acceptance, on every
    /// accepted request, allocates nothing.
    pub(crate) fn accepted() {
        counter!("axum_logto_requests_total", "outcome" => "accepted", "reason" => "ok")
            .increment(1);
    }

    pub(crate) fn refused(reason: &'static str) {
        counter!("axum_logto_requests_total", "outcome" => "refused", "reason" => reason)
            .increment(1);
    }

    pub(crate) fn validation(duration: Duration) {
        histogram!("axum_logto_validation_duration_seconds").record(duration.as_secs_f64());
    }

    pub(crate) fn fetch(
        document: &'static str,
        cause: FetchCause,
        result: &'static str,
        duration: Duration,
    ) {
        let cause = cause.name();
        counter!(
            "axum_logto_key_fetches_total",
            "document" => document, "cause" => cause, "result" => result
        )
        .increment(1);
        histogram!(
            "axum_logto_key_fetch_duration_seconds",
            "document" => document, "cause" => cause, "result" => result
        )
        .record(duration.as_secs_f64());
    }

    pub(crate) fn key_set(keys: usize, age: Duration) {
        gauge!("axum_logto_keys_loaded").set(keys as f64);
        gauge!("axum_logto_key_set_age_seconds").set(age.as_secs_f64());
    }

    pub(crate) fn key_set_fetched(keys: usize) {
        key_set(keys, Duration::ZERO);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        gauge!("axum_logto_key_set_last_success_timestamp_seconds").set(now.as_secs_f64());
    }

    pub(crate) fn cache_hit() {
        counter!("axum_logto_verified_cache_hits_total").increment(1);
    }

    pub(crate) fn cache_miss() {
        counter!("axum_logto_verified_cache_misses_total").increment(1);
    }

    pub(crate) fn cache_evicted() {
        counter!("axum_logto_verified_cache_evictions_total").increment(1);
    }

    pub(crate) fn revocation_rules(live: usize) {
        gauge!("axum_logto_revocation_rules").set(live as f64);
    }

    pub(crate) fn revocation_store_error() {
        counter!("axum_logto_revocation_store_errors_total").increment(1);
    }

    pub(crate) fn revocation_store_reachable(reachable: bool) {
        gauge!("axum_logto_revocation_store_reachable").set(if reachable { 1.0 } else { 0.0 });
    }

    pub(crate) fn webhook(event: &'static str, outcome: &'static str) {
        counter!("axum_logto_webhooks_total", "event" => event, "outcome" => outcome).increment(1);
    }

    pub(crate) fn outbound_request(
        grant: &'static str,
        cause: &'static str,
        outcome: &'static str,
    ) {
        counter!(
            "axum_logto_outbound_token_requests_total",
            "grant" => grant,
            "cause" => cause,
            "outcome" => outcome
        )
        .increment(1);
    }

    pub(crate) fn outbound_cache_hit(grant: &'static str) {
        counter!("axum_logto_outbound_token_cache_hits_total", "grant" => grant).increment(1);
    }

    pub(crate) fn outbound_renewal() {
        counter!("axum_logto_outbound_token_renewals_total").increment(1);
    }
}

#[cfg(not(feature = "metrics"))]
mod enabled {
    use std::time::Duration;

    use super::FetchCause;

    #[inline(always)]
    pub(crate) fn accepted() {}
    #[inline(always)]
    pub(crate) fn refused(_: &'static str) {}
    #[inline(always)]
    pub(crate) fn fetch(_: &'static str, _: FetchCause, _: &'static str, _: Duration) {}
    #[inline(always)]
    pub(crate) fn key_set_fetched(_: usize) {}
    #[inline(always)]
    pub(crate) fn cache_hit() {}
    #[inline(always)]
    pub(crate) fn cache_miss() {}
    #[inline(always)]
    pub(crate) fn cache_evicted() {}
    #[inline(always)]
    pub(crate) fn revocation_rules(_: usize) {}
    #[inline(always)]
    pub(crate) fn revocation_store_error() {}
    #[inline(always)]
    pub(crate) fn revocation_store_reachable(_: bool) {}
    #[inline(always)]
    pub(crate) fn webhook(_: &'static str, _: &'static str) {}
    #[inline(always)]
    pub(crate) fn outbound_request(_: &'static str, _: &'static str, _: &'static str) {}
    #[inline(always)]
    pub(crate) fn outbound_cache_hit(_: &'static str) {}
    #[inline(always)]
    pub(crate) fn outbound_renewal() {}
}

// Called only from code that exists with the feature.
pub(crate) use enabled::{
    accepted, cache_evicted, cache_hit, cache_miss, fetch, key_set_fetched, outbound_cache_hit,
    outbound_renewal, outbound_request, refused, revocation_rules, revocation_store_error,
    revocation_store_reachable, webhook,
};
#[cfg(feature = "metrics")]
pub(crate) use enabled::{key_set, validation};
