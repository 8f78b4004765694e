//! The test issuer's HTTP side: discovery and JWKS at Logto's paths, with injected faults.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::{Server, Shared};
use crate::keys::lock;

pub(super) fn spawn_server(listener: TcpListener, shared: Arc<Shared>) -> Server {
    let app = Router::new()
        .route("/oidc/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .with_state(shared);
    let (shutdown, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = signal.await;
            })
            .await;
    });
    Server { shutdown, task }
}

async fn injected_delay(shared: &Shared) {
    let delay = lock(&shared.faults).delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    shared.discovery_requests.fetch_add(1, Ordering::SeqCst);
    injected_delay(&shared).await;
    let issuer = &shared.issuer;
    json_response(&json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES384", "ES256", "RS256"],
    }))
}

fn json_response(value: &Value) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        value.to_string(),
    )
        .into_response()
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.jwks_requests.fetch_add(1, Ordering::SeqCst);
    injected_delay(&shared).await;
    let (fail, garbage, oversized) = {
        let mut faults = lock(&shared.faults);
        let fail = faults.fail_next > 0;
        if fail {
            faults.fail_next -= 1;
        }
        (fail, faults.garbage, faults.oversized)
    };
    let mut response = if fail {
        (StatusCode::INTERNAL_SERVER_ERROR, "injected failure").into_response()
    } else if garbage {
        (StatusCode::OK, "<html>this is not a JWK set</html>").into_response()
    } else if oversized {
        let filler = " ".repeat(1024 * 1024);
        let body = format!(r#"{{"keys":[],"pad":"{filler}"}}"#);
        (StatusCode::OK, body).into_response()
    } else {
        let ring = lock(&shared.keys);
        let keys: Vec<Value> = ring.published.iter().map(|k| k.jwk.clone()).collect();
        json_response(&json!({ "keys": keys }))
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
