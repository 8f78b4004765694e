//! Two extractors in one handler verify the signature once (the verified token is cached in
//! the request's extensions). In its own test binary: tracing's per-callsite interest cache
//! is process-wide, and tests running in parallel without a subscriber would race with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[path = "support/mod.rs"]
mod support;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_logto::testing::TestIssuer;
use axum_logto::{Auth, LogtoLayer, RequireScopes, scopes};
use support::{API, bearer};

scopes! { ReadDocs = "read:docs"; }

async fn call(app: &Router, token: &str) -> (StatusCode, String) {
    let answer = support::call(app, "/twice", &[("authorization", &bearer(token))]).await;
    (answer.status, answer.body)
}

/// Counts "token signature verified" events.
#[derive(Clone, Default)]
struct VerifyCounter(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for VerifyCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message(bool);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}") == "token signature verified" {
                    self.0 = true;
                }
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        if message.0 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn two_extractors_verify_the_signature_once() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let counter = VerifyCounter::default();
    let subscriber = tracing_subscriber::registry()
        .with(counter.clone())
        .with(tracing_subscriber::filter::LevelFilter::TRACE);
    let _guard = tracing::subscriber::set_default(subscriber);

    let issuer = TestIssuer::start().await;
    let token = issuer
        .token()
        .sub("u1")
        .audience(API)
        .scopes(["read:docs"])
        .sign();
    // Without the verified-token cache: once per request. With it (the default): once.
    for (cache_size, verified_by_the_second_request) in [(0, 1), (1 << 20, 0)] {
        let logto = issuer
            .state_builder(API)
            .verified_token_cache_size(cache_size)
            .build()
            .unwrap();
        let app = Router::new()
            .route(
                "/twice",
                get(|a: Auth, b: RequireScopes<ReadDocs>| async move {
                    format!("{} {}", a.sub(), b.sub())
                }),
            )
            .with_state(logto);
        counter.0.store(0, Ordering::SeqCst);
        assert_eq!(
            call(&app, &token).await,
            (StatusCode::OK, "u1 u1".to_owned())
        );
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "cache {cache_size}");
        call(&app, &token).await;
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            1 + verified_by_the_second_request,
            "cache {cache_size}"
        );
        // A bad signature fails once too; the second extractor reuses that.
        let (input, _) = token.rsplit_once('.').unwrap();
        let bad = format!("{input}.AAAA");
        assert_eq!(call(&app, &bad).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            1 + verified_by_the_second_request
        );
    }

    // Under the layer, with an extractor in the handler too: one verification (the cache of
    // verified tokens off, so that only the per-request sharing can explain it).
    let logto = issuer
        .state_builder(API)
        .verified_token_cache_size(0)
        .build()
        .unwrap();
    let app =
        Router::new()
            .route(
                "/twice",
                get(|a: Auth, b: RequireScopes<ReadDocs>| async move {
                    format!("{} {}", a.sub(), b.sub())
                }),
            )
            .layer(LogtoLayer::new(logto.clone()))
            .with_state(logto);
    counter.0.store(0, Ordering::SeqCst);
    assert_eq!(
        call(&app, &token).await,
        (StatusCode::OK, "u1 u1".to_owned())
    );
    assert_eq!(counter.0.load(Ordering::SeqCst), 1, "layer and extractors");
}
