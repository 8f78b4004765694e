//! The test issuer's HTTP side: discovery and JWKS at Logto's paths, with injected faults.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::{Server, Shared, now, random_id};
use crate::claims::ORGANIZATION_AUDIENCE_PREFIX;
use crate::keys::lock;

pub(super) fn spawn_server(listener: TcpListener, shared: Arc<Shared>) -> Server {
    let app = Router::new()
        .route("/oidc/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/token", post(token_endpoint))
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

/// An OAuth 2.0 error answer (RFC 6749 §5.2).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = json_response(&json!({"error": error, "error_description": description}));
    *response.status_mut() = status;
    response
}

/// The application a token request authenticates as (`client_secret_basic`), if registered.
fn authenticated(shared: &Shared, headers: &header::HeaderMap) -> Option<String> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let (id, secret) = (decode(id)?, decode(secret)?);
    lock(&shared.clients)
        .iter()
        .any(|(known, known_secret)| *known == id && *known_secret == secret)
        .then_some(id)
}

/// The claims of a token this issuer signed and that has not expired.
fn verified_subject(shared: &Shared, token: &str) -> Option<serde_json::Map<String, Value>> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (input, signature) = token.rsplit_once('.')?;
    let signature = engine.decode(signature).ok()?;
    let signed = lock(&shared.keys)
        .published
        .iter()
        .any(|key| key.verifies(input, &signature));
    let (_, payload) = input.split_once('.')?;
    let claims: serde_json::Map<String, Value> =
        serde_json::from_slice(&engine.decode(payload).ok()?).ok()?;
    let fresh = claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_some_and(|exp| exp > now());
    let ours = claims.get("iss").and_then(Value::as_str) == Some(shared.issuer.as_str());
    (signed && fresh && ours).then_some(claims)
}

/// `POST /oidc/token`: client credentials and token exchange, for registered applications.
async fn token_endpoint(
    State(shared): State<Arc<Shared>>,
    headers: header::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    shared.token_requests.fetch_add(1, Ordering::SeqCst);
    injected_delay(&shared).await;
    let failing = shared
        .token_failures
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        // As oidc-provider answers a server error.
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "injected failure",
        );
    }
    let Some(client_id) = authenticated(&shared, &headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    };
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).filter(|v| !v.is_empty()).cloned();
    let (resource, org) = (field("resource"), field("organization_id"));
    let sub = match field("grant_type").as_deref() {
        Some("client_credentials") => client_id.clone(),
        Some("urn:ietf:params:oauth:grant-type:token-exchange") => {
            if field("subject_token_type").as_deref()
                != Some("urn:ietf:params:oauth:token-type:access_token")
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "unsupported subject_token_type",
                );
            }
            let subject =
                field("subject_token").and_then(|token| verified_subject(&shared, &token));
            let Some(sub) = subject
                .as_ref()
                .and_then(|c| c.get("sub"))
                .and_then(Value::as_str)
            else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "invalid subject token",
                );
            };
            sub.to_owned()
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "unsupported grant_type",
            );
        }
    };
    let audience = match (&resource, &org) {
        (Some(resource), _) => resource.clone(),
        (None, Some(org)) => format!("{ORGANIZATION_AUDIENCE_PREFIX}{org}"),
        (None, None) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_target",
                "resource indicator is missing",
            );
        }
    };
    let lifetime = *lock(&shared.token_lifetime);
    let issued = now();
    let scope = field("scope").unwrap_or_default();
    let mut claims = serde_json::Map::new();
    claims.insert("jti".into(), json!(random_id()));
    claims.insert("sub".into(), json!(sub));
    claims.insert("iat".into(), json!(issued));
    claims.insert(
        "exp".into(),
        json!(issued + i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2)),
    );
    claims.insert("client_id".into(), json!(client_id));
    claims.insert("iss".into(), json!(shared.issuer));
    claims.insert("aud".into(), json!(audience));
    claims.insert("scope".into(), json!(scope));
    if let (Some(_), Some(org)) = (&resource, &org) {
        claims.insert("organization_id".into(), json!(org));
    }
    let key = lock(&shared.keys).signing.clone();
    let header = json!({"alg": key.alg.name(), "typ": "at+jwt", "kid": key.kid});
    let encode = |value: &Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    let input = format!("{}.{}", encode(&header), encode(&Value::Object(claims)));
    let token = format!("{input}.{}", key.sign(&input));
    json_response(&json!({
        "access_token": token,
        "expires_in": lifetime.as_secs(),
        "token_type": "Bearer",
        "scope": scope,
    }))
}
