//! The demo calling an API of the tenant (its own `GET /me`) with tokens of its own:
//! `GET /upstream` as its application (client credentials), `GET /upstream/on-behalf` for its
//! caller (a token exchange of the caller's token). With `LOGTO_APP_ID` and `LOGTO_APP_SECRET`
//! (an application allowed to call the demo's API resource); without them both answer 503.

use std::sync::Arc;

use aide::axum::ApiRouter;
use aide::axum::routing::get_with;
use aide::transform::TransformOperation;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use axum_logto::{Auth, CallerToken, LogtoClient, LogtoState, TokenRequest, reqwest};
use serde_json::{Value, json};

/// What the two routes share.
struct Upstream {
    /// The demo's application, when `LOGTO_APP_ID` and `LOGTO_APP_SECRET` are set.
    client: Option<LogtoClient>,
    /// The API called: the demo's own `GET /me`.
    me: String,
    /// Its resource indicator: the demo's audience.
    resource: String,
    http: reqwest::Client,
}

/// `GET /upstream` and `GET /upstream/on-behalf`, calling `base`'s `GET /me`.
pub(crate) fn routes(
    logto: &LogtoState,
    client: Option<LogtoClient>,
    base: &str,
) -> ApiRouter<LogtoState> {
    let upstream = Arc::new(Upstream {
        client,
        me: format!("{base}/me"),
        resource: logto.audiences().first().cloned().unwrap_or_default(),
        http: reqwest::Client::new(),
    });
    ApiRouter::new()
        .api_route(
            "/upstream",
            get_with(as_application, |op| {
                docs(
                    op,
                    "Calls the demo's GET /me with a token of its own application.",
                )
            }),
        )
        .api_route(
            "/upstream/on-behalf",
            get_with(on_behalf, |op| {
                docs(
                    op,
                    "Calls the demo's GET /me with a token exchanged from the caller's: its sub is \
                     the caller, its clientId the demo's application.",
                )
            }),
        )
        .layer(Extension(upstream))
}

/// The answers of both routes beside the bearer refusals their extractors document.
fn docs<'a>(op: TransformOperation<'a>, description: &str) -> TransformOperation<'a> {
    op.description(description)
        .response_with::<200, Json<Value>, _>(|r| {
            r.description("`{\"upstream\": <what GET /me answered>}`")
        })
        .response_with::<502, Json<Value>, _>(|r| {
            r.description("No token from the token endpoint, or GET /me failed.")
        })
        .response_with::<503, Json<Value>, _>(|r| {
            r.description("LOGTO_APP_ID and LOGTO_APP_SECRET are not set.")
        })
}

/// The demo's application from `LOGTO_APP_ID` and `LOGTO_APP_SECRET`, for the tenant at
/// `endpoint`; `None` when either is unset.
pub(crate) fn client(
    endpoint: &str,
    app_id: Option<String>,
    secret: Option<String>,
) -> Result<Option<LogtoClient>, Box<dyn std::error::Error>> {
    match (app_id, secret) {
        (Some(id), Some(secret)) => Ok(Some(LogtoClient::builder(endpoint, id, secret).build()?)),
        (None, None) => Ok(None),
        _ => Err("set both LOGTO_APP_ID and LOGTO_APP_SECRET, or neither".into()),
    }
}

/// Any valid token: the demo calls `GET /me` as its application.
async fn as_application(_auth: Auth, Extension(upstream): Extension<Arc<Upstream>>) -> Response {
    let Some(client) = &upstream.client else {
        return not_configured(&upstream);
    };
    match client
        .token(&TokenRequest::resource(&upstream.resource))
        .await
    {
        Ok(token) => call(&upstream, token.secret()).await,
        Err(error) => token_failed(&error),
    }
}

/// The caller's token exchanged for one of the demo's application, which keeps the caller as
/// `sub` and names the application in `client_id`.
async fn on_behalf(caller: CallerToken, Extension(upstream): Extension<Arc<Upstream>>) -> Response {
    let Some(client) = &upstream.client else {
        return not_configured(&upstream);
    };
    let request = TokenRequest::resource(&upstream.resource);
    match client.exchange(caller.subject_token(), &request).await {
        Ok(token) => call(&upstream, token.secret()).await,
        Err(error) => token_failed(&error),
    }
}

/// `GET /me` with `token`: `{"upstream": <its answer>}`, or 502 when it fails.
async fn call(upstream: &Upstream, token: &str) -> Response {
    let answer = upstream
        .http
        .get(&upstream.me)
        .bearer_auth(token)
        .send()
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => return bad_gateway(format!("GET {} failed: {error}", upstream.me)),
    };
    let status = answer.status();
    match answer.json::<Value>().await {
        Ok(body) if status.is_success() => Json(json!({ "upstream": body })).into_response(),
        Ok(body) => bad_gateway(format!("GET {} answered {status}: {body}", upstream.me)),
        Err(error) => bad_gateway(format!("GET {} answered {status}: {error}", upstream.me)),
    }
}

fn not_configured(upstream: &Upstream) -> Response {
    let message = format!(
        "set LOGTO_APP_ID and LOGTO_APP_SECRET: a machine-to-machine application allowed to call \
         {} (with the embedded issuer, any values)",
        upstream.resource
    );
    let body = json!({ "error": "upstream_not_configured", "error_description": message });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

fn token_failed(error: &axum_logto::TokenRequestError) -> Response {
    // The error names the endpoint and Logto's answer, never the secret.
    tracing::warn!(%error, "no token for the upstream call");
    bad_gateway(error.to_string())
}

fn bad_gateway(message: String) -> Response {
    let body = json!({ "error": "upstream_failed", "error_description": message });
    (StatusCode::BAD_GATEWAY, Json(body)).into_response()
}
