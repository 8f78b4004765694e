//! Two API processes (the demo binary) sharing one real `redis-server` on loopback: a webhook
//! that reaches one replica revokes on the other within a second, Redis stopped and restarted
//! changes nothing that was known and loses nothing that was said, and a replica that starts
//! later loads the live rules.
//!
//! Needs `redis-server` on PATH (Debian's `redis-server`); without it these tests are skipped
//! with a note, unless `CI` is set.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use axum_logto::testing::{TestIssuer, sign_webhook};
use reqwest::StatusCode;

use crate::common::webhook::suspension;
use crate::common::{API, KillOnDrop, demo_binary};
use crate::redis_server::{RedisServer, free_port, redis_available};

const KEY: &str = "replica-signing-key-0123456789abc";

/// A demo process protecting `API` with `issuer`'s keys, its revocations in the Redis at
/// `port`; its base URL.
fn replica(issuer: &TestIssuer, port: u16) -> (KillOnDrop, String) {
    let mut child = Command::new(demo_binary())
        .env("BIND", "127.0.0.1:0")
        .env("LOGTO_ENDPOINT", issuer.endpoint())
        .env("LOGTO_AUDIENCE", API)
        .env("REDIS_URL", format!("redis://127.0.0.1:{port}"))
        .env("LOGTO_WEBHOOK_SIGNING_KEY", KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the demo");
    let stdout = child.stdout.take().unwrap();
    let guard = KillOnDrop(child);
    let started = Instant::now();
    for line in BufReader::new(stdout).lines() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the demo did not start"
        );
        if let Some(base) = line.unwrap().strip_prefix("listening on ") {
            return (guard, base.to_owned());
        }
    }
    panic!("the demo ended before it listened");
}

async fn docs(base: &str, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{base}/docs"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .status()
}

/// Polls `GET /docs` with `token` on `base` until it answers `status`; how long it took.
async fn until(base: &str, token: &str, status: StatusCode, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if docs(base, token).await == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{base} never answered {status} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Logto's delivery for a suspended user, signed.
async fn suspend(base: &str, user: &str) -> StatusCode {
    let body = suspension(user, SystemTime::now()).to_string();
    reqwest::Client::new()
        .post(format!("{base}/webhooks/logto"))
        .header("content-type", "application/json")
        .header(
            "logto-signature-sha-256",
            sign_webhook(KEY, body.as_bytes()),
        )
        .body(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_to_one_replica_revokes_on_every_replica() {
    if !redis_available() {
        return;
    }
    let port = free_port();
    let redis_server = RedisServer::start(port);
    let issuer = TestIssuer::start().await;
    let token = |sub: &str| {
        issuer
            .token()
            .sub(sub)
            .audience(API)
            .scopes(["read:docs"])
            .sign()
    };
    let (alice, bob, carol) = (token("alice"), token("bob"), token("carol"));
    let (_a, a) = replica(&issuer, port);
    let (_b, b) = replica(&issuer, port);
    for base in [&a, &b] {
        until(base, &alice, StatusCode::OK, Duration::from_secs(10)).await;
    }

    // The webhook reaches A; B refuses within a second.
    assert_eq!(suspend(&a, "alice").await, StatusCode::NO_CONTENT);
    assert_eq!(docs(&a, &alice).await, StatusCode::UNAUTHORIZED);
    let on_b = until(&b, &alice, StatusCode::UNAUTHORIZED, Duration::from_secs(1)).await;
    println!("revoked on the other replica after {on_b:?}");
    assert_eq!(docs(&b, &carol).await, StatusCode::OK);

    // Redis stops: what is known holds; a new revocation holds where it arrived.
    drop(redis_server);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(docs(&b, &alice).await, StatusCode::UNAUTHORIZED);
    assert_eq!(docs(&a, &carol).await, StatusCode::OK);
    assert_eq!(suspend(&a, "bob").await, StatusCode::NO_CONTENT);
    assert_eq!(docs(&a, &bob).await, StatusCode::UNAUTHORIZED);

    // Redis is back (empty): A writes back what it holds, and B hears of bob.
    let _redis_server = RedisServer::start(port);
    let healed = until(&b, &bob, StatusCode::UNAUTHORIZED, Duration::from_secs(15)).await;
    println!("after Redis came back, the other replica knew within {healed:?}");
    assert_eq!(docs(&b, &alice).await, StatusCode::UNAUTHORIZED);
    assert_eq!(docs(&b, &carol).await, StatusCode::OK);

    // A replica that starts later loads the live rules before it listens (`preload` waits
    // for them): its very first requests refuse the revoked tokens.
    let (_c, c) = replica(&issuer, port);
    for revoked in [&alice, &bob] {
        assert_eq!(docs(&c, revoked).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(docs(&c, &carol).await, StatusCode::OK);
}

#[tokio::test]
async fn failing_closed_refuses_every_token_while_redis_is_down() {
    if !redis_available() {
        return;
    }
    let port = free_port();
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .revocation_store(
            axum_logto::RedisRevocations::new(&format!("redis://127.0.0.1:{port}"))
                .unwrap()
                .prefix("fail-closed"),
        )
        .revocations_fail_closed()
        .build()
        .unwrap();
    let token = issuer.token().sub("u1").sign();
    // Redis was never reached: no token can be told clean.
    assert_eq!(
        state.validate(&token).await.unwrap_err(),
        axum_logto::AuthError::RevocationsUnavailable
    );
    let redis_server = RedisServer::start(port);
    let started = Instant::now();
    while state.validate(&token).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never reached Redis"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(redis_server);
    let started = Instant::now();
    loop {
        match state.validate(&token).await {
            Err(axum_logto::AuthError::RevocationsUnavailable) => break,
            Ok(_) => {}
            Err(other) => panic!("{other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never noticed Redis was gone"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The rejection: 503 with Retry-After, no challenge.
    let rejection = state.reject(axum_logto::AuthError::RevocationsUnavailable);
    assert_eq!(
        (rejection.status(), rejection.retry_after_secs()),
        (StatusCode::SERVICE_UNAVAILABLE, Some(2))
    );
}
