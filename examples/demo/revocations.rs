//! The demo's revocations: Logto's webhook at `POST /webhooks/logto` (with
//! `LOGTO_WEBHOOK_SIGNING_KEY`), a manual revocation at `POST /admin/revocations` (an `admin`
//! token), and the rules shared through Redis (with `REDIS_URL`).

use std::time::SystemTime;

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use axum_logto::{LogtoState, RequireScopes, Revocation};
use serde::Deserialize;

use crate::app::Admin;

/// The body of `POST /admin/revocations`: the subject whose tokens stop working now.
#[derive(Deserialize)]
struct Revoke {
    sub: String,
}

/// `POST /admin/revocations` and, with a signing key, `POST /webhooks/logto`.
pub(crate) fn router(logto: &LogtoState, signing_key: Option<&str>) -> Router {
    let admin = Router::new()
        .route("/admin/revocations", post(revoke))
        .with_state(logto.clone());
    match signing_key {
        Some(key) => admin.merge(logto.webhook(key).router("/webhooks/logto")),
        None => admin,
    }
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
