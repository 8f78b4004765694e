//! Metrics (feature `metrics`) read back from a recording recorder: each metric moves for the
//! case that should move it, and no label ever holds anything but a fixed value. One test in
//! its own binary: the recorder is process-wide.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_logto::testing::{KeyAlgorithm, TestIssuer};
use axum_logto::{Auth, LogtoClient, RequireScopes, TokenRequest, scopes};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use support::{API, bearer, call};

scopes! { ReadDocs = "read:docs"; }

/// What one snapshot saw: counters summed by name and labels, gauges, histogram samples.
struct Seen {
    values: Vec<(String, Vec<(String, String)>, DebugValue)>,
}

impl Seen {
    fn take(snapshotter: &Snapshotter) -> Self {
        let values = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let key = key.key();
                let labels = key
                    .labels()
                    .map(|l| (l.key().to_owned(), l.value().to_owned()))
                    .collect();
                (key.name().to_owned(), labels, value)
            })
            .collect();
        Self { values }
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a DebugValue> + 'a {
        self.values
            .iter()
            .filter(move |(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, _, value)| value)
    }

    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.matching(name, labels)
            .map(|value| match value {
                DebugValue::Counter(n) => *n,
                other => panic!("{name} is not a counter: {other:?}"),
            })
            .sum()
    }

    fn gauge(&self, name: &str) -> Option<f64> {
        self.matching(name, &[]).find_map(|value| match value {
            DebugValue::Gauge(v) => Some(v.into_inner()),
            _ => None,
        })
    }

    fn samples(&self, name: &str, labels: &[(&str, &str)]) -> usize {
        self.matching(name, labels)
            .map(|value| match value {
                DebugValue::Histogram(samples) => samples.len(),
                other => panic!("{name} is not a histogram: {other:?}"),
            })
            .sum()
    }

    /// Every label value is one of the documented, fixed ones.
    fn labels_are_bounded(&self) {
        let allowed: HashMap<&str, Vec<&str>> = HashMap::from([
            ("outcome", vec!["accepted", "refused", "ok"]),
            ("document", vec!["discovery", "jwks"]),
            (
                "cause",
                vec![
                    "first_load",
                    "preload",
                    "timer",
                    "unknown_kid",
                    "miss",
                    "renewal",
                    "uncached",
                ],
            ),
            ("grant", vec!["client_credentials", "token_exchange"]),
            (
                "result",
                vec![
                    "ok",
                    "timeout",
                    "transport",
                    "status",
                    "too_large",
                    "invalid_document",
                    "issuer_mismatch",
                    "foreign_jwks_uri",
                    "no_usable_keys",
                ],
            ),
        ]);
        let reasons: Vec<&str> = axum_logto::InvalidTokenReason::ALL
            .iter()
            .map(|r| r.name())
            .chain([
                "ok",
                "missing_token",
                "invalid_request",
                "missing_organization",
                "insufficient_scope",
                "wrong_organization",
                "organization_scoped",
                "claim_check_failed",
                "misconfigured_route",
                "keys_unavailable",
            ])
            .collect();
        for (name, labels, _) in &self.values {
            assert!(name.starts_with("axum_logto_"), "{name}");
            for (key, value) in labels {
                let ok = match key.as_str() {
                    "reason" => reasons.contains(&value.as_str()),
                    other => allowed
                        .get(other)
                        .is_some_and(|v| v.contains(&value.as_str())),
                };
                assert!(ok, "{name}: {key}={value}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_metric_moves_for_its_case() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    // A first load, caused by the first request.
    let issuer = TestIssuer::start().await;
    let state = issuer.state_builder(API).build().unwrap();
    let token = issuer.token().scopes(["read:docs"]).sign();
    state.validate(&token).await.unwrap();
    let seen = Seen::take(&snapshotter);
    for document in ["discovery", "jwks"] {
        let labels = [
            ("document", document),
            ("cause", "first_load"),
            ("result", "ok"),
        ];
        assert_eq!(
            seen.counter("axum_logto_key_fetches_total", &labels),
            1,
            "{document}"
        );
        assert_eq!(
            seen.samples("axum_logto_key_fetch_duration_seconds", &labels),
            1
        );
    }
    assert_eq!(seen.gauge("axum_logto_keys_loaded"), Some(1.0));
    assert!(seen.gauge("axum_logto_key_set_age_seconds").unwrap() < 1.0);
    assert!(
        seen.gauge("axum_logto_key_set_last_success_timestamp_seconds")
            .unwrap()
            > 1.7e9
    );
    assert_eq!(
        seen.counter(
            "axum_logto_requests_total",
            &[("outcome", "accepted"), ("reason", "ok")]
        ),
        1
    );
    assert_eq!(
        seen.counter("axum_logto_verified_cache_misses_total", &[]),
        1
    );
    assert_eq!(
        seen.samples("axum_logto_validation_duration_seconds", &[]),
        1
    );
    seen.labels_are_bounded();

    // A cache hit, and a refusal by its reason.
    state.validate(&token).await.unwrap();
    let expired = issuer.token().expires_in(-3600).sign();
    state.validate(&expired).await.unwrap_err();
    let seen = Seen::take(&snapshotter);
    assert_eq!(seen.counter("axum_logto_verified_cache_hits_total", &[]), 1);
    assert_eq!(
        seen.counter(
            "axum_logto_requests_total",
            &[("outcome", "refused"), ("reason", "expired")]
        ),
        1
    );
    assert_eq!(
        seen.samples("axum_logto_validation_duration_seconds", &[]),
        2
    );

    // Through a router: one acceptance per request with two extractors, refusals by reason.
    let app = Router::new()
        .route(
            "/twice",
            get(|a: Auth, _: RequireScopes<ReadDocs>| async move { a.sub().to_owned() }),
        )
        .with_state(state.clone());
    let auth = bearer(&token);
    assert_eq!(
        call(&app, "/twice", &[("authorization", &auth)])
            .await
            .status,
        StatusCode::OK
    );
    let no_scope = issuer.token().bearer();
    assert_eq!(
        call(&app, "/twice", &[("authorization", &no_scope)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, "/twice", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let seen = Seen::take(&snapshotter);
    assert_eq!(
        seen.counter("axum_logto_requests_total", &[("outcome", "accepted")]),
        2,
        "the accepted request, and the first extractor of the refused one"
    );
    for reason in ["insufficient_scope", "missing_token"] {
        assert_eq!(
            seen.counter(
                "axum_logto_requests_total",
                &[("outcome", "refused"), ("reason", reason)]
            ),
            1,
            "{reason}"
        );
    }
    seen.labels_are_bounded();

    // A rotation: an unknown kid causes a fetch; two keys are loaded.
    let kid = issuer.rotate(KeyAlgorithm::Es384);
    let rotated = issuer.token().signed_by(&kid).sign();
    state.validate(&rotated).await.unwrap();
    let seen = Seen::take(&snapshotter);
    assert_eq!(
        seen.counter(
            "axum_logto_key_fetches_total",
            &[
                ("document", "jwks"),
                ("cause", "unknown_kid"),
                ("result", "ok")
            ]
        ),
        1
    );
    assert_eq!(seen.gauge("axum_logto_keys_loaded"), Some(2.0));

    // A failed fetch, by its result, and the age of the key set that stays.
    issuer.fail_next(1);
    state.preload().await.unwrap_err();
    let seen = Seen::take(&snapshotter);
    assert_eq!(
        seen.counter(
            "axum_logto_key_fetches_total",
            &[
                ("document", "jwks"),
                ("cause", "preload"),
                ("result", "status")
            ]
        ),
        1
    );
    // The age grows between fetches while the last good set serves.
    // (It is set every second: polled up to 5 s.)
    let mut age = 0.0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(now) = Seen::take(&snapshotter).gauge("axum_logto_key_set_age_seconds") {
            age = now;
        }
        if age >= 1.0 {
            break;
        }
    }
    assert!(age >= 1.0, "{age}");
    issuer.go_down().await;
    let down = issuer.state_builder(API).build().unwrap();
    down.preload().await.unwrap_err();
    down.validate(&token).await.unwrap_err();
    let seen = Seen::take(&snapshotter);
    assert_eq!(
        seen.counter(
            "axum_logto_key_fetches_total",
            &[
                ("document", "discovery"),
                ("cause", "first_load"),
                ("result", "transport")
            ]
        ),
        1
    );
    assert_eq!(
        seen.counter(
            "axum_logto_requests_total",
            &[("outcome", "refused"), ("reason", "keys_unavailable")]
        ),
        1
    );
    issuer.come_back().await;

    // Evictions: a flood of distinct tokens into a small cache.
    let small = issuer
        .state_builder(API)
        .verified_token_cache_size(16 * 1024)
        .refresh_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    for i in 0..40 {
        let token = issuer.token().sub(&format!("user-{i}")).sign();
        small.validate(&token).await.unwrap();
    }
    let seen = Seen::take(&snapshotter);
    assert!(seen.counter("axum_logto_verified_cache_evictions_total", &[]) > 0);
    assert_eq!(
        seen.counter("axum_logto_verified_cache_misses_total", &[]),
        40
    );

    // Outbound tokens: a request for a token not cached (`miss`), then a cache hit; a refusal.
    issuer.register_client("app-1", "secret-of-app-1");
    let client = LogtoClient::builder(issuer.endpoint(), "app-1", "secret-of-app-1")
        .build()
        .unwrap();
    let request = TokenRequest::resource(API);
    client.token(&request).await.unwrap();
    client.token(&request).await.unwrap();
    LogtoClient::builder(issuer.endpoint(), "app-1", "wrong")
        .build()
        .unwrap()
        .token(&request)
        .await
        .unwrap_err();
    let seen = Seen::take(&snapshotter);
    let requests = |cause, outcome| {
        seen.counter(
            "axum_logto_outbound_token_requests_total",
            &[
                ("grant", "client_credentials"),
                ("cause", cause),
                ("outcome", outcome),
            ],
        )
    };
    assert_eq!(
        (requests("miss", "ok"), requests("miss", "refused")),
        (1, 1)
    );
    assert_eq!(
        seen.counter(
            "axum_logto_outbound_token_cache_hits_total",
            &[("grant", "client_credentials")]
        ),
        1
    );
    seen.labels_are_bounded();
}
