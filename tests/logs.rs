//! What the crate logs, read back from a real subscriber: levels, the values that help an
//! operator, and nothing from a token that could forge a log line. One test in its own
//! binary: the subscriber is process-wide and log lines must not interleave with other tests.

#[path = "support/mod.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_logto::testing::TestIssuer;
use axum_logto::{OrgFromPath, OrgToken};
use support::{API, bearer, call};

/// Every formatted log line, in order.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Lines {
    /// The lines written since the last call.
    fn take(&self) -> Vec<String> {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap());
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn at(lines: &[String], level: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|line| line.split_whitespace().nth(1) == Some(level))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn what_is_logged() {
    let lines = Lines::default();
    let writer = lines.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .init();

    let issuer = TestIssuer::start().await;
    let state = issuer.state_builder(API).build().unwrap();
    let app = Router::new()
        .route(
            "/orgs/{org_id}/members",
            get(|org: OrgToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/members",
            get(|org: OrgToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .with_state(state.clone());
    let org = bearer(&issuer.token().org_audience("org-a").sign());
    assert_eq!(
        call(&app, "/orgs/org-a/members", &[("authorization", &org)])
            .await
            .status,
        StatusCode::OK
    );
    // Each fetch runs in a `key_fetch` span with its document, URL, cause and outcome.
    let logged = lines.take();
    let jwks = format!(
        "key_fetch{{document=\"jwks\" url={}/jwks cause=\"first_load\" outcome=\"ok\"}}",
        issuer.issuer()
    );
    assert!(
        logged
            .iter()
            .any(|l| l.contains(&jwks) && l.contains("key fetch done")),
        "{logged:#?}"
    );

    // An undecodable path is the client's fault: debug, never error.
    let a = call(&app, "/orgs/%FF/members", &[("authorization", &org)]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let logged = lines.take();
    assert!(at(&logged, "ERROR").is_empty(), "{logged:#?}");
    assert!(
        at(&logged, "DEBUG")
            .iter()
            .any(|l| l.contains("does not decode to UTF-8")),
        "{logged:#?}"
    );

    // A route without the parameter is a server bug: error, once per route.
    for _ in 0..3 {
        let a = call(&app, "/members", &[("authorization", &org)]).await;
        assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    let errors = at(&lines.take(), "ERROR");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("route=\"/members\"") && errors[0].contains("param=\"org_id\""),
        "{}",
        errors[0]
    );

    // A hostile kid never reaches a log line as sent.
    let hostile = "k\nERROR forged line \u{1b}[31m".repeat(10);
    let token = issuer.token().audience(API).kid(&hostile).sign();
    state.validate(&token).await.unwrap_err();
    let logged = lines.take();
    assert!(!logged.is_empty());
    assert!(
        logged
            .iter()
            .all(|l| !l.contains("forged") && !l.contains('\u{1b}')),
        "{logged:#?}"
    );
    assert!(
        logged
            .iter()
            .any(|l| l.contains("no key with this kid") && l.contains("bytes, fnv ")),
        "{logged:#?}"
    );

    // A refusal names the token's issuer or audience beside the accepted ones.
    let other = issuer.token().audience("https://other.example.com").sign();
    state.validate(&other).await.unwrap_err();
    let logged = lines.take();
    assert!(
        logged
            .iter()
            .any(|l| l.contains("aud=[https://other.example.com]")
                && l.contains("accepted=[\"https://api.example.com\"]")),
        "{logged:#?}"
    );
    let token = issuer
        .token()
        .audience(API)
        .claim("iss", serde_json::json!("https://evil.example/oidc"))
        .sign();
    state.validate(&token).await.unwrap_err();
    let logged = lines.take();
    assert!(
        logged
            .iter()
            .any(|l| l.contains("iss=https://evil.example/oidc")
                && l.contains(&format!("accepted=[\"{}\"]", issuer.issuer()))),
        "{logged:#?}"
    );
    // An audience that differs from ours only by a trailing slash or the scheme is a
    // configuration mistake nothing else reports without debug logs: one warn per value.
    for _ in 0..3 {
        for near in ["https://api.example.com/", "http://api.example.com"] {
            let token = issuer.token().audience(near).sign();
            state.validate(&token).await.unwrap_err();
        }
    }
    let warns = at(&lines.take(), "WARN");
    assert_eq!(warns.len(), 2, "{warns:#?}");
    for (warn, near) in warns
        .iter()
        .zip(["https://api.example.com/", "http://api.example.com"])
    {
        assert!(
            warn.contains(&format!("aud={near}"))
                && warn.contains("configured=https://api.example.com")
                && warn.contains("byte for byte"),
            "{warn}"
        );
    }
    // Rejections through an extractor keep a fixed reason field.
    let expired = bearer(
        &issuer
            .token()
            .org_audience("org-a")
            .expires_in(-3600)
            .sign(),
    );
    call(&app, "/orgs/org-a/members", &[("authorization", &expired)]).await;
    let logged = lines.take();
    assert!(
        at(&logged, "DEBUG")
            .iter()
            .any(|l| l.contains("request refused")
                && l.contains("reason=\"expired\"")
                && l.contains("status=401")),
        "{logged:#?}"
    );

    // A failed fetch says, in its one warn line, what was fetched and why it failed.
    issuer.go_down().await;
    let down = issuer.state_builder(API).build().unwrap();
    let error = down.preload().await.unwrap_err();
    let warns = at(&lines.take(), "WARN");
    assert_eq!(warns.len(), 1, "{warns:#?}");
    let discovery = format!("{}/.well-known/openid-configuration", issuer.issuer());
    assert!(
        warns[0].contains(&format!("fetching the discovery document from {discovery}"))
            && warns[0].to_lowercase().contains("connection refused"),
        "{}",
        warns[0]
    );
    assert!(warns[0].contains("cause=\"first_load\""), "{}", warns[0]);
    assert!(error.to_string().contains(&discovery), "{error}");
    assert!(std::error::Error::source(&error).is_some());
}
