//! What every integration test binary shares: the API's audience, the `Authorization` header
//! of a token, and a request through a router in process (through the crate's own
//! `testing::send`, as a user's tests would).

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum_logto::testing::{TestResponse, send};

/// The audience (API resource indicator) the tests' states accept.
pub(crate) const API: &str = "https://api.example.com";

/// The `Authorization` header value for `token`.
pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `GET path` with `headers`, through `app` in process.
pub(crate) async fn call(app: &Router, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(app, request.body(Body::empty()).unwrap()).await
}
