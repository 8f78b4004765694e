//! Revocation: rules by hand and from Logto's signed webhooks, checked after the signature or
//! the verified-token cache, on every extractor; forged, tampered, replayed and oversized
//! deliveries change nothing.

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum_logto::testing::{send, sign_webhook};
use axum_logto::{
    AuthError, InvalidTokenReason as R, OrgFromPath, OrgToken, RequireScopes, Revocation, scopes,
};
use serde_json::{Value, json};

use crate::common::webhook::{iso8601, suspension};
use crate::common::{bearer, call, setup};

scopes! {
    ReadDocs = "read:docs";
}

const KEY: &str = "whsec-0123456789abcdefghijklmnopqr";

/// `GET /docs` (`read:docs`), `GET /orgs/{org_id}/members`, and the webhook at
/// `POST /webhooks/logto`.
fn app(state: axum_logto::LogtoState) -> Router {
    app_signed_with(state, KEY)
}

/// [`app`] with the webhook's signing key `key`, made by `webhook_router` (which is
/// `webhook(key).router(path)` in one call).
fn app_signed_with(state: axum_logto::LogtoState, key: &str) -> Router {
    Router::new()
        .route(
            "/docs",
            get(|auth: RequireScopes<ReadDocs>| async move { auth.sub().to_owned() }),
        )
        .route(
            "/orgs/{org_id}/members",
            get(|org: OrgToken<OrgFromPath>| async move { org.sub().to_owned() }),
        )
        .merge(state.webhook_router("/webhooks/logto", key))
        .with_state(state)
}

async fn deliver(app: &Router, body: &Value, signature: Option<String>) -> (StatusCode, Value) {
    let body = body.to_string();
    let mut request = Request::post("/webhooks/logto").header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("logto-signature-sha-256", signature);
    }
    let answer = send(app, request.body(Body::from(body)).unwrap()).await;
    (answer.status, answer.json())
}

fn signed(body: &Value) -> Option<String> {
    Some(sign_webhook(KEY, body.to_string().as_bytes()))
}

#[tokio::test]
async fn a_revoked_token_is_refused_even_from_the_cache() {
    let (issuer, state) = setup().await;
    let app = app(state.clone());
    let alice = bearer(&issuer.token().sub("alice").scopes(["read:docs"]).sign());
    let bob = bearer(&issuer.token().sub("bob").scopes(["read:docs"]).sign());
    // Verified and cached first.
    for token in [&alice, &bob] {
        assert_eq!(
            call(&app, "/docs", &[("authorization", token)])
                .await
                .status,
            StatusCode::OK
        );
    }
    state
        .revoke(Revocation::subject("alice", SystemTime::now()))
        .await
        .unwrap();
    let a = call(&app, "/docs", &[("authorization", &alice)]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.json()["error_description"],
        "the access token was revoked"
    );
    assert!(a.challenge.unwrap().contains(r#"error="invalid_token""#));
    assert_eq!(
        call(&app, "/docs", &[("authorization", &bob)]).await.status,
        StatusCode::OK
    );
    // Outside Axum too, with its own reason.
    let token = alice.trim_start_matches("Bearer ");
    assert_eq!(
        state.validate(token).await.unwrap_err(),
        AuthError::InvalidToken(R::Revoked)
    );
    // A token issued after the rule's moment (a second later) works.
    let later = SystemTime::now() + Duration::from_secs(2);
    let fresh = issuer
        .token()
        .sub("alice")
        .scopes(["read:docs"])
        .issued_at(
            later
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                .cast_signed(),
        )
        .bearer();
    assert_eq!(
        call(&app, "/docs", &[("authorization", &fresh)])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(state.revocation_rules().len(), 1);
}

#[tokio::test]
async fn organization_rules() {
    let (issuer, state) = setup().await;
    let app = app(state.clone());
    let member = |sub: &str, org: &str| bearer(&issuer.token().sub(sub).org_audience(org).sign());
    let (a1, b1, a2) = (member("a", "o1"), member("b", "o1"), member("a", "o2"));
    state
        .revoke(Revocation::subject_in_org("a", "o1", SystemTime::now()))
        .await
        .unwrap();
    let status = |path: &'static str, token: String| {
        let app = app.clone();
        async move { call(&app, path, &[("authorization", &token)]).await.status }
    };
    assert_eq!(
        status("/orgs/o1/members", a1).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status("/orgs/o1/members", b1.clone()).await, StatusCode::OK);
    assert_eq!(status("/orgs/o2/members", a2).await, StatusCode::OK);
    state
        .revoke(Revocation::org("o1", SystemTime::now()))
        .await
        .unwrap();
    assert_eq!(
        status("/orgs/o1/members", b1).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_signed_suspension_revokes_the_users_tokens() {
    let (issuer, state) = setup().await;
    let app = app(state.clone());
    let alice = bearer(&issuer.token().sub("alice").scopes(["read:docs"]).sign());
    let bob = bearer(&issuer.token().sub("bob").scopes(["read:docs"]).sign());
    assert_eq!(
        call(&app, "/docs", &[("authorization", &alice)])
            .await
            .status,
        StatusCode::OK
    );
    let body = suspension("alice", SystemTime::now());
    assert_eq!(
        deliver(&app, &body, signed(&body)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&app, "/docs", &[("authorization", &alice)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&app, "/docs", &[("authorization", &bob)]).await.status,
        StatusCode::OK
    );
    // The same delivery again changes nothing.
    assert_eq!(
        deliver(&app, &body, signed(&body)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(state.revocation_rules().len(), 1);
}

#[tokio::test]
async fn forged_tampered_replayed_and_oversized_deliveries_change_nothing() {
    let (issuer, state) = setup().await;
    let app = app(state.clone());
    let alice = bearer(&issuer.token().sub("alice").scopes(["read:docs"]).sign());
    let body = suspension("alice", SystemTime::now());
    // Unsigned, signed with another key, or signed twice.
    let (status, json) = deliver(&app, &body, None).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_signature"))
    );
    let forged = Some(sign_webhook("another-key", body.to_string().as_bytes()));
    assert_eq!(
        deliver(&app, &body, forged).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Tampered: signed for alice, sent for bob.
    let mut tampered = body.clone();
    tampered["params"]["userId"] = json!("bob");
    assert_eq!(
        deliver(&app, &tampered, signed(&body)).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Replayed: a genuine delivery, ten minutes old.
    let old = suspension("alice", SystemTime::now() - Duration::from_secs(600));
    let (status, json) = deliver(&app, &old, signed(&old)).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("stale_event"))
    );
    // Oversized, signed or not.
    let mut big = suspension("alice", SystemTime::now());
    big["data"]["customData"] = json!("x".repeat(100 * 1024));
    let (status, json) = deliver(&app, &big, signed(&big)).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    // Signed but not a delivery.
    let garbage = json!([1, 2, 3]);
    assert_eq!(
        deliver(&app, &garbage, signed(&garbage)).await.0,
        StatusCode::BAD_REQUEST
    );
    // Logto's own test delivery is signed too: it must not revoke.
    let test = json!({"event": "Role.Deleted", "createdAt": iso8601(SystemTime::now()), "hookId": "h",
                      "userAgent": "fake-user-agent", "path": "/fake-path/:id", "method": "POST",
                      "status": 200, "params": {"id": "fake-id"}, "data": {"result": "success"}});
    assert_eq!(
        deliver(&app, &test, signed(&test)).await.0,
        StatusCode::NO_CONTENT
    );
    assert!(state.revocation_rules().is_empty());
    assert_eq!(
        call(&app, "/docs", &[("authorization", &alice)])
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_removed_scope_revokes_every_token_issued_before() {
    let (issuer, state) = setup().await;
    let app = app(state.clone());
    let before = bearer(&issuer.token().sub("u1").scopes(["read:docs"]).sign());
    let body = json!({"event": "Role.Scopes.Updated", "createdAt": iso8601(SystemTime::now()),
                      "hookId": "h", "path": "/roles/r1/scopes/s1", "method": "DELETE", "status": 204,
                      "params": {"id": "r1", "scopeId": "s1"}, "matchedRoute": "/roles/:id/scopes/:scopeId"});
    assert_eq!(
        deliver(&app, &body, signed(&body)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&app, "/docs", &[("authorization", &before)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        state.revocation_rules(),
        vec![state.revocation_rules()[0].clone()]
    );
    assert!(matches!(
        state.revocation_rules()[0],
        Revocation::All { .. }
    ));
}

#[tokio::test]
async fn a_member_removed_revokes_every_token_for_the_organization_issued_before() {
    let (issuer, state) = setup().await;
    let app = app(state.clone());
    let member = |sub: &str, org: &str| bearer(&issuer.token().sub(sub).org_audience(org).sign());
    let (a1, b1, b2) = (member("a", "o1"), member("b", "o1"), member("b", "o2"));
    let global = bearer(&issuer.token().sub("b").scopes(["read:docs"]).sign());
    let status = |path: &'static str, token: &String| {
        let (app, token) = (app.clone(), token.clone());
        async move { call(&app, path, &[("authorization", &token)]).await.status }
    };
    // Logto's delivery for `DELETE /api/organizations/o1/users/a`.
    let removed = json!({"event": "Organization.Membership.Updated", "createdAt": iso8601(SystemTime::now()),
                         "hookId": "h", "path": "/organizations/o1/users/a", "method": "DELETE",
                         "status": 204, "params": {"id": "o1", "userId": "a"},
                         "matchedRoute": "/organizations/:id/users/:userId", "organizationId": "o1"});
    assert_eq!(
        deliver(&app, &removed, signed(&removed)).await.0,
        StatusCode::NO_CONTENT
    );
    // Every token for o1 issued before, the remaining member's too; nothing else.
    assert_eq!(
        status("/orgs/o1/members", &a1).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status("/orgs/o1/members", &b1).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status("/orgs/o2/members", &b2).await, StatusCode::OK);
    assert_eq!(status("/docs", &global).await, StatusCode::OK);
    assert!(matches!(
        &state.revocation_rules()[..],
        [Revocation::Org { org_id, .. }] if org_id == "o1"
    ));
    // A member added takes nothing away.
    let added = json!({"event": "Organization.Membership.Updated", "createdAt": iso8601(SystemTime::now()),
                       "hookId": "h", "path": "/organizations/o2/users", "method": "POST",
                       "status": 201, "params": {"id": "o2"}, "organizationId": "o2"});
    assert_eq!(
        deliver(&app, &added, signed(&added)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(status("/orgs/o2/members", &b2).await, StatusCode::OK);
    assert_eq!(state.revocation_rules().len(), 1);
}

#[tokio::test]
async fn an_empty_signing_key_refuses_every_delivery() {
    let (issuer, state) = setup().await;
    let app = app_signed_with(state.clone(), "");
    let alice = bearer(&issuer.token().sub("alice").scopes(["read:docs"]).sign());
    // Anyone can compute a signature under the empty key.
    let body = suspension("alice", SystemTime::now());
    let signature = Some(sign_webhook("", body.to_string().as_bytes()));
    let (status, json) = deliver(&app, &body, signature).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_signature"))
    );
    assert!(state.revocation_rules().is_empty());
    assert_eq!(
        call(&app, "/docs", &[("authorization", &alice)])
            .await
            .status,
        StatusCode::OK
    );
}
