//! Shared set-up for the integration tests: a real `TestIssuer` on loopback, a `LogtoState`
//! pointed at it, requests in process or over real HTTP, and their answers; the examples'
//! binaries; and (`provider`) a real `oidc-provider` for the end-to-end tests.
#![allow(dead_code)]

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use axum_logto::testing::TestIssuer;
use axum_logto::{AuthError, InvalidTokenReason, LogtoState};
use serde_json::Value;
use tower::ServiceExt as _;

pub(crate) mod provider;

pub(crate) const API: &str = "https://api.example.com";

/// The API resource indicator of the MCP server tests (as `tests/provider/server.mjs`
/// registers it). Logto's MCP guide registers the server's URL with a trailing slash; the
/// token's `aud` must match it byte for byte.
pub(crate) const MCP_AUDIENCE: &str = "https://mcp.example.com/";

/// Asserts that `$state.validate(&$token)` refuses the token with
/// `AuthError::InvalidToken($reason)`; extra arguments are the failure message.
#[allow(unused_macros)]
macro_rules! assert_refused {
    ($state:expr, $token:expr, $reason:expr $(, $($message:tt)+)?) => {
        assert_eq!(
            $state.validate(&$token).await.unwrap_err(),
            axum_logto::AuthError::InvalidToken($reason)
            $(, $($message)+)?
        )
    };
}

/// An issuer and a state for the API resource `API`, keys not loaded yet.
pub(crate) async fn setup() -> (TestIssuer, LogtoState) {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .build()
        .expect("valid configuration");
    (issuer, state)
}

pub(crate) fn invalid(reason: InvalidTokenReason) -> AuthError {
    AuthError::InvalidToken(reason)
}

/// The `Authorization` header value for `token`.
pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// What a request got back.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) challenge: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: String,
}

impl Answer {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Reads a response of a router called in process.
pub(crate) async fn answer(response: Response) -> Answer {
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let challenge = header("www-authenticate");
    let retry_after = header("retry-after");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Answer {
        status,
        challenge,
        retry_after,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// `GET path` with `headers`, through `app` in process.
pub(crate) async fn call(app: &Router, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    answer(response).await
}

/// `method path` over real HTTP to `base` (`http://127.0.0.1:<port>`), with the bearer
/// `token` if any; 10 s at most.
pub(crate) async fn fetch(base: &str, method: Method, path: &str, token: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new().request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (challenge, retry_after) = (header("www-authenticate"), header("retry-after"));
    Answer {
        status: response.status(),
        challenge,
        retry_after,
        body: response.text().await.unwrap(),
    }
}

/// Loads the keys of `state` in a runtime that then ends, taking the refresh task it started
/// with it (as when a server's start-up runtime is not the one that serves).
pub(crate) fn preload_in_a_runtime_that_ends(state: &LogtoState) {
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    first.block_on(state.preload()).unwrap();
    drop(first);
}

/// Serves `app` on a free loopback port; returns `http://127.0.0.1:<port>`.
pub(crate) async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A child process that is killed when the test ends, also when it fails.
pub(crate) struct KillOnDrop(pub(crate) std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo example's binary.
pub(crate) fn demo_binary() -> std::path::PathBuf {
    example_binary("demo")
}

/// An example's binary: `cargo test` builds examples into `target/<profile>/examples`, beside
/// the `deps` folder that holds the test binary.
pub(crate) fn example_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test`",
        path.display()
    );
    path
}
