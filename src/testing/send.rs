//! [`send`]: a request through a router in process, and its whole answer.

use std::future::poll_fn;

use axum::Router;
use axum::body::Body;
use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use tower_service::Service;

/// The largest body [`send`] reads: 16 MiB.
const MAX_BODY: usize = 16 << 20;

/// What a router answered, read whole: for assertions in tests. Made by [`send`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TestResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text (bytes that are not UTF-8 replaced).
    pub body: String,
}

impl TestResponse {
    /// The `WWW-Authenticate` challenge, if the answer has one.
    pub fn www_authenticate(&self) -> Option<&str> {
        self.headers
            .get(WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
    }

    /// The body as JSON: `Value::Null` when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends `request` through `router` in process (no listener, no network) and reads the whole
/// answer, as a test of your handlers needs it: the status, the `WWW-Authenticate` challenge,
/// the JSON body.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use axum::{body::Body, http::Request, routing::get, Router};
/// use axum_logto::{scopes, testing::{send, TestIssuer}, RequireScopes};
///
/// scopes! { pub ReadDocs = "read:docs"; }
///
/// let issuer = TestIssuer::start().await;
/// let logto = issuer.state_builder("https://api.example.com").build().unwrap();
/// let app = Router::new()
///     .route("/docs", get(|_: RequireScopes<ReadDocs>| async { "docs" }))
///     .with_state(logto);
///
/// let request = Request::get("/docs")
///     .header("authorization", issuer.token().bearer()) // no scope
///     .body(Body::empty())
///     .unwrap();
/// let answer = send(&app, request).await;
/// assert_eq!(answer.status, 403);
/// assert_eq!(answer.json()["error"], "insufficient_scope");
/// assert!(answer.www_authenticate().unwrap().contains(r#"scope="read:docs""#));
/// # }
/// ```
///
/// # Panics
///
/// When the body cannot be read or is larger than 16 MiB: a test has nothing better to do.
pub async fn send(router: &Router, request: Request<Body>) -> TestResponse {
    let mut service = router.clone();
    // A router is always ready and never fails (its error type is `Infallible`).
    let Ok(()) = poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut service, cx)).await;
    let Ok(response) = service.call(request).await;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .expect("the body can be read, and is at most 16 MiB");
    TestResponse {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
