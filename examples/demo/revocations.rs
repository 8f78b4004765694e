//! The demo's revocations: Logto's webhook at `POST /webhooks/logto` (with
//! `LOGTO_WEBHOOK_SIGNING_KEY`), a manual revocation at `POST /admin/revocations` (an `admin`
//! token), and the rules shared through Redis (with `REDIS_URL`).

use std::time::SystemTime;

use aide::axum::ApiRouter;
use aide::axum::routing::{ApiMethodDocs, post_with};
use aide::openapi::Operation;
use axum::http::StatusCode;
use axum::{Json, Router};
use axum_logto::{LogtoState, RequireScopes, Revocation};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::app::Admin;

/// The body of `POST /admin/revocations`.
#[derive(Deserialize, JsonSchema)]
struct Revoke {
    /// The subject whose tokens stop working now.
    #[schemars(length(min = 1))]
    sub: String,
}

/// `POST /admin/revocations`, and the documentation of `POST /webhooks/logto` when a signing
/// key turns it on (the route itself is [`webhook`]'s).
pub(crate) fn routes(signing_key: Option<&str>) -> ApiRouter<LogtoState> {
    let admin = ApiRouter::new().api_route(
        "/admin/revocations",
        post_with(revoke, |op| {
            op.description("Revokes every token of a subject issued until now.")
                .response_with::<204, (), _>(|r| r.description("Revoked."))
                .response_with::<202, (), _>(|r| {
                    r.description("Revoked here; the revocation store did not take it.")
                })
        }),
    );
    match signing_key {
        Some(_) => admin.api_route_docs(
            "/webhooks/logto",
            ApiMethodDocs::new("post", webhook_docs()),
        ),
        None => admin,
    }
}

/// `POST /webhooks/logto`, with a signing key.
pub(crate) fn webhook(logto: &LogtoState, signing_key: Option<&str>) -> Router {
    match signing_key {
        Some(key) => logto.webhook(key).router("/webhooks/logto"),
        None => Router::new(),
    }
}

/// What Logto's webhook endpoint answers.
fn webhook_docs() -> Operation {
    let answer = |description: &str| json!({ "description": description });
    serde_json::from_value(json!({
        "description": "Logto's signed webhook deliveries (HMAC-SHA256 in `logto-signature-sha-256`), turned into revocations.",
        "requestBody": {
            "required": true,
            "content": { "application/json": { "schema": { "type": "object" } } },
        },
        "responses": {
            "204": answer("Applied, or nothing to revoke."),
            "400": answer("Not a delivery, or older than 5 minutes."),
            "401": answer("No signature, or not the hook's."),
            "413": answer("Over 64 KiB."),
        },
    }))
    .expect("an operation")
}

async fn revoke(
    admin: RequireScopes<Admin>,
    axum::extract::State(logto): axum::extract::State<LogtoState>,
    Json(body): Json<Revoke>,
) -> StatusCode {
    tracing::info!(by = admin.sub(), sub = %body.sub, "revoking a subject's tokens by hand");
    match logto
        .revoke(Revocation::subject(body.sub, SystemTime::now()))
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT,
        // In force here; the store did not take it (logged by the crate).
        Err(_) => StatusCode::ACCEPTED,
    }
}

/// How to register the demo's webhook in Logto, as comments.
pub(crate) fn print_webhook_help(endpoint: &str, public_url: &str, key_set: bool) {
    let events = "[\"User.SuspensionStatus.Updated\",\"User.Deleted\",\
                  \"Organization.Membership.Updated\",\"Organization.Deleted\",\
                  \"Role.Scopes.Updated\",\"Role.Deleted\",\"Scope.Deleted\",\
                  \"OrganizationRole.Scopes.Updated\",\"OrganizationRole.Deleted\",\
                  \"OrganizationScope.Deleted\"]";
    println!(
        "# Logto webhook: POST {public_url}/webhooks/logto turns Logto's events into revocations."
    );
    println!("# Register it in the Console (Webhooks), or with a Management API token:");
    println!(
        "#   curl -X POST -H 'Authorization: Bearer <Management API token>' \
         -H 'content-type: application/json' -d '{{\"name\":\"axum-logto demo\",\
         \"events\":{events},\"config\":{{\"url\":\"{public_url}/webhooks/logto\"}}}}' \
         {endpoint}/api/hooks"
    );
    if key_set {
        println!("# (LOGTO_WEBHOOK_SIGNING_KEY is set: the endpoint is on.)");
    } else {
        println!(
            "# then restart the demo with LOGTO_WEBHOOK_SIGNING_KEY set to the hook's signingKey."
        );
    }
}
