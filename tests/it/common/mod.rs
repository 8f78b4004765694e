//! Shared set-up for the integration tests: a real `TestIssuer` on loopback, a `LogtoState`
//! pointed at it, requests in process or over real HTTP, and their answers; the examples'
//! binaries; and (`provider`) a real `oidc-provider` for the end-to-end tests.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum_logto::testing::TestIssuer;
use axum_logto::{AuthError, InvalidTokenReason, LogtoState};
use serde_json::Value;

#[path = "../../support/mod.rs"]
mod support;
pub(crate) use support::{API, bearer};

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

/// `GET path` with `headers`, through `app` in process.
pub(crate) async fn call(app: &Router, path: &str, headers: &[(&str, &str)]) -> Answer {
    let answer = support::call(app, path, headers).await;
    let header = |name| {
        answer
            .headers
            .get(name)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned())
    };
    Answer {
        status: answer.status,
        challenge: header("www-authenticate"),
        retry_after: header("retry-after"),
        body: answer.body,
    }
}

pub(crate) mod provider;
pub(crate) mod python;
pub(crate) mod webhook;

/// The API resource indicator of the MCP server tests (as `tests/provider/server.mjs`
/// registers it). Logto's MCP guide registers the server's URL with a trailing slash; the
/// token's `aud` must match it byte for byte.
pub(crate) const MCP_AUDIENCE: &str = "https://mcp.example.com/";

/// Asserts that `$state.validate(&$token)` refuses the token with
/// `AuthError::InvalidToken($reason)`; extra arguments are the failure message.
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

/// Seconds since the Unix epoch, now.
pub(crate) fn now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

pub(crate) fn invalid(reason: InvalidTokenReason) -> AuthError {
    AuthError::InvalidToken(reason)
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
        "{} is missing: run the tests with `cargo test --all-features`",
        path.display()
    );
    path
}
