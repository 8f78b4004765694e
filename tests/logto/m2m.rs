//! (a) Machine-to-machine: `client_credentials` with `resource` and `scope`.

use axum_logto::{AuthError, InvalidTokenReason};
use reqwest::Method;
use serde_json::json;

use crate::api::{self, get_with, send};
use crate::oidc::decode;
use crate::world::{API, world};
use crate::{state, state_builder};

#[tokio::test]
async fn m2m_token_passes_the_scoped_routes_and_says_who_sent_it() {
    let Some(w) = world() else { return };
    let token = w
        .m2m_token(&w.batch, "read:docs write:docs delete:docs")
        .await;
    let base = api::serve(state(&w.logto.endpoint, API)).await;

    let me = get_with(&base, "/me", &token).await.ok();
    assert_eq!(me["sub"], w.batch.id.as_str());
    assert_eq!(me["clientId"], w.batch.id.as_str());
    assert_eq!(me["issuer"], w.logto.issuer());
    assert_eq!(me["audience"], json!([API]));
    assert_eq!(
        me["scopes"],
        json!(["read:docs", "write:docs", "delete:docs"])
    );
    assert_eq!(me["organizationId"], serde_json::Value::Null);
    assert!(me.get("actor").is_none(), "{me}");

    get_with(&base, "/docs", &token).await.ok();
    send(&base, Method::POST, "/docs", Some(&token), &[])
        .await
        .ok();
    let deleted = send(&base, Method::DELETE, "/docs/7", Some(&token), &[])
        .await
        .ok();
    assert_eq!(deleted["deleted"], "7");
    assert_eq!(
        send(&base, Method::GET, "/maybe", Some(&token), &[])
            .await
            .ok(),
        json!({ "authenticated": true })
    );
    get_with(&base, "/v1/status", &token).await.ok();
    get_with(&base, "/v2/write", &token).await.ok();
}

#[tokio::test]
async fn m2m_token_is_an_es384_at_jwt_with_the_claims_logto_documents() {
    let Some(w) = world() else { return };
    let token = w.m2m_token(&w.batch, "read:docs").await;
    let header = decode(&token, 0);
    assert_eq!(header["typ"], "at+jwt", "{header}");
    assert_eq!(header["alg"], "ES384", "{header}");
    let kid = header["kid"].as_str().unwrap();
    let jwks: serde_json::Value = reqwest::get(format!("{}/oidc/jwks", w.logto.endpoint))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid),
        "the token's kid is in the JWKS"
    );
    let claims = decode(&token, 1);
    for claim in [
        "jti",
        "sub",
        "iat",
        "exp",
        "scope",
        "client_id",
        "iss",
        "aud",
    ] {
        assert!(claims.get(claim).is_some(), "{claim} missing: {claims}");
    }
    assert!(claims.get("nbf").is_none(), "{claims}");
    assert_eq!(claims["sub"], claims["client_id"]);
    assert_eq!(claims["aud"], API);
    // Through the crate outside Axum: the same facts.
    let info = state(&w.logto.endpoint, API)
        .validate(&token)
        .await
        .unwrap();
    assert!(info.is_machine_to_machine());
    assert_eq!(info.jti(), claims["jti"].as_str());
    assert_eq!(info.expires_at(), claims["exp"].as_i64().unwrap());
    assert_eq!(info.issued_at(), claims["iat"].as_i64());
}

#[tokio::test]
async fn m2m_token_with_fewer_scopes_is_refused_where_more_are_needed() {
    let Some(w) = world() else { return };
    let token = w.m2m_token(&w.batch, "read:docs").await;
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    get_with(&base, "/docs", &token).await.ok();
    let create = send(&base, Method::POST, "/docs", Some(&token), &[]).await;
    create.refused(403, "insufficient_scope");
    assert!(
        create
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"scope="read:docs write:docs""#),
        "{create:?}"
    );
    let delete = send(&base, Method::DELETE, "/docs/1", Some(&token), &[]).await;
    delete.refused(403, "insufficient_scope");
    assert!(
        delete
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"scope="delete:docs admin""#),
        "{delete:?}"
    );
    get_with(&base, "/v2/write", &token)
        .await
        .refused(403, "insufficient_scope");
}

#[tokio::test]
async fn m2m_token_passes_the_machine_check_and_fails_the_user_check() {
    let Some(w) = world() else { return };
    let token = w.m2m_token(&w.reader, "read:docs").await;
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let machine = get_with(&base, "/machine", &token).await.ok();
    assert_eq!(machine["sub"], w.reader.id.as_str());
    let user = get_with(&base, "/user", &token).await;
    user.refused(403, "insufficient_scope");
    assert!(
        user.body["error_description"].as_str().unwrap().len() > 10,
        "{user:?}"
    );
}

#[tokio::test]
async fn m2m_scopes_are_what_its_roles_grant_not_what_it_asks_for() {
    let Some(w) = world() else { return };
    // `reader` has read:docs only; asking for more yields what its role grants.
    let answer = w
        .client_credentials(&w.reader, Some(API), "read:docs write:docs admin", None)
        .await;
    let claims = decode(&answer.access_token(), 1);
    assert_eq!(claims["scope"], "read:docs", "{claims}");
    // An application without roles gets a token without a `scope` claim at all: valid, but
    // no scoped route.
    let token = w.m2m_token(&w.plain, "read:docs").await;
    let claims = decode(&token, 1);
    assert!(claims.get("scope").is_none(), "{claims}");
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let me = get_with(&base, "/me", &token).await.ok();
    assert_eq!(me["scopes"], json!([]));
    get_with(&base, "/docs", &token)
        .await
        .refused(403, "insufficient_scope");
}

#[tokio::test]
async fn client_credentials_without_resource_or_organization_is_refused_by_logto() {
    let Some(w) = world() else { return };
    let answer = w
        .client_credentials(&w.batch, None, "read:docs", None)
        .await;
    assert_eq!(answer.error(), "invalid_target", "{:?}", answer.body);
}

#[tokio::test]
async fn requests_without_a_good_token_get_rfc6750_challenges() {
    let Some(w) = world() else { return };
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let none = send(&base, Method::GET, "/docs", None, &[]).await;
    assert_eq!(none.status, 401);
    let challenge = none.challenge.clone().unwrap();
    assert!(challenge.starts_with("Bearer realm=\""), "{none:?}");
    assert!(!challenge.contains("error="), "{none:?}");
    // The route names what it needs.
    assert!(challenge.contains(r#"scope="read:docs""#), "{none:?}");
    assert_eq!(
        send(&base, Method::GET, "/maybe", None, &[]).await.ok(),
        json!({ "authenticated": false })
    );
    let layer = send(&base, Method::GET, "/v1/status", None, &[]).await;
    assert_eq!(layer.status, 401, "{layer:?}");
    assert_eq!(layer.body["error"], "unauthorized", "{layer:?}");
    assert!(!layer.challenge.unwrap().contains("error="));

    // A real Logto token with one byte of its signature changed.
    let token = w.m2m_token(&w.batch, "read:docs").await;
    let (rest, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{rest}.{flipped}{}", &signature[1..]);
    get_with(&base, "/docs", &tampered)
        .await
        .refused(401, "invalid_token");
    get_with(&base, "/maybe", &tampered)
        .await
        .refused(401, "invalid_token");
    let logto = state(&w.logto.endpoint, API);
    assert_eq!(
        logto.validate(&tampered).await.unwrap_err(),
        AuthError::InvalidToken(InvalidTokenReason::BadSignature)
    );
    // The same token twice, in a header and the query: 400 (with query tokens enabled).
    let twice = api::serve(
        state_builder(&w.logto.endpoint, API)
            .token_from_query("access_token")
            .build()
            .unwrap(),
    )
    .await;
    send(
        &twice,
        Method::GET,
        &format!("/docs?access_token={token}"),
        Some(&token),
        &[],
    )
    .await
    .refused(400, "invalid_request");
}

#[tokio::test]
async fn allowed_client_refuses_other_applications_tokens() {
    let Some(w) = world() else { return };
    let logto = state_builder(&w.logto.endpoint, API)
        .allowed_client(&w.batch.id)
        .build()
        .unwrap();
    let batch = w.m2m_token(&w.batch, "read:docs").await;
    let reader = w.m2m_token(&w.reader, "read:docs").await;
    assert_eq!(logto.validate(&batch).await.unwrap().sub(), w.batch.id);
    let refused = logto.validate(&reader).await.unwrap_err();
    assert!(matches!(refused, AuthError::InvalidToken(_)), "{refused:?}");
}
