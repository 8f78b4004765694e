//! End to end against a real OpenID provider: `oidc-provider` (panva), the library Logto is
//! built on, configured like Logto (`tests/provider/server.mjs`). Tokens come from its token
//! endpoint over HTTP and are sent to the demo API's router behind a real listener.
//!
//! Needs Node.js; `npm ci` runs in `tests/provider` on first use when `node_modules` is
//! missing. Run only these tests with `cargo test --all-features --test it e2e_provider`.

use crate::demo_app as app;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::provider::{Provider, node_available};
use crate::common::{API, KillOnDrop, demo_binary, fetch, serve};
use axum_logto::testing::TestIssuer;
use axum_logto::{Auth, AuthInfo, LogtoState};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ALL_API_SCOPES: &str = "read:docs write:docs delete:docs admin read:reports";

/// The demo router protecting `API` with `state`, behind a real listener.
async fn serve_demo(state: LogtoState) -> String {
    serve(app::router(state)).await
}

fn state_for(provider: &Provider) -> LogtoState {
    LogtoState::builder(&provider.base)
        .audience(API)
        .build()
        .unwrap()
}

fn decode_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn provider_tokens_pass_every_global_route() {
    if !node_available() {
        return;
    }
    let provider = Provider::start();
    let api = serve_demo(state_for(&provider)).await;
    let token = provider.api_token(ALL_API_SCOPES).await;
    let header = decode_part(&token, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES384");
    for (method, path) in [
        (Method::GET, "/me"),
        (Method::GET, "/maybe"),
        (Method::GET, "/docs"),
        (Method::POST, "/docs"),
        (Method::DELETE, "/docs/1"),
    ] {
        let a = fetch(&api, method.clone(), path, Some(&token)).await;
        assert_eq!(a.status, StatusCode::OK, "{method} {path}: {}", a.body);
    }
    let me = fetch(&api, Method::GET, "/me", Some(&token)).await.json();
    assert_eq!(me["sub"], "test-client");
    assert_eq!(me["clientId"], "test-client");
    assert_eq!(me["issuer"], provider.issuer());
    assert_eq!(me["audience"], json!([API]));
    assert_eq!(
        me["scopes"],
        json!([
            "read:docs",
            "write:docs",
            "delete:docs",
            "admin",
            "read:reports"
        ])
    );
    assert_eq!(
        fetch(&api, Method::GET, "/maybe", Some(&token))
            .await
            .json()["authenticated"],
        true
    );
    assert_eq!(
        fetch(&api, Method::GET, "/public", None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn provider_tokens_are_refused_for_the_right_reasons() {
    if !node_available() {
        return;
    }
    let provider = Provider::start();
    let api = serve_demo(state_for(&provider)).await;

    // Missing scope: 403 insufficient_scope naming both.
    let reader = provider.api_token("read:docs").await;
    let a = fetch(&api, Method::POST, "/docs", Some(&reader)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.json()["error"], "insufficient_scope");
    assert!(
        a.challenge
            .unwrap()
            .ends_with(r#"scope="read:docs write:docs""#)
    );
    // Neither delete:docs nor admin.
    assert_eq!(
        fetch(&api, Method::DELETE, "/docs/1", Some(&reader))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // A token for another resource: 401 invalid_token.
    let other = provider
        .token(Some("https://other.example.com"), "read:docs", None)
        .await;
    let a = fetch(&api, Method::GET, "/docs", Some(&other)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.json(),
        json!({"error": "invalid_token", "error_description": "the access token is not intended for this resource"})
    );

    // An opaque token (no resource requested): 401 invalid_token.
    let opaque = provider.token(None, "", None).await;
    assert_ne!(
        opaque.split('.').count(),
        3,
        "without a resource the token is opaque"
    );
    let a = fetch(&api, Method::GET, "/me", Some(&opaque)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.json()["error"], "invalid_token");

    // No token at all.
    let a = fetch(&api, Method::GET, "/me", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenge.as_deref(),
        Some(r#"Bearer realm="https://api.example.com""#)
    );
}

#[tokio::test]
async fn organization_tokens_and_organization_level_api_tokens() {
    if !node_available() {
        return;
    }
    let provider = Provider::start();
    let api = serve_demo(state_for(&provider)).await;

    let org_a = provider
        .token(
            Some("urn:logto:organization:org-a"),
            "read:members invite:members",
            None,
        )
        .await;
    assert_eq!(
        decode_part(&org_a, 1)["aud"],
        "urn:logto:organization:org-a"
    );
    assert_eq!(
        fetch(&api, Method::GET, "/orgs/org-a/members", Some(&org_a))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        fetch(&api, Method::POST, "/orgs/org-a/invitations", Some(&org_a))
            .await
            .status,
        StatusCode::OK
    );
    let a = fetch(&api, Method::GET, "/orgs/org-b/members", Some(&org_a)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.json()["error_description"],
        "the access token is for another organization"
    );
    // The organization token without invite:members.
    let read_only = provider
        .token(Some("urn:logto:organization:org-a"), "read:members", None)
        .await;
    let a = fetch(
        &api,
        Method::POST,
        "/orgs/org-a/invitations",
        Some(&read_only),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.challenge.unwrap().ends_with(r#"scope="invite:members""#));
    // An organization token is not an API token.
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&org_a)).await.status,
        StatusCode::UNAUTHORIZED
    );

    let reports = provider
        .token(Some(API), "read:reports", Some("org-a"))
        .await;
    assert_eq!(decode_part(&reports, 1)["organization_id"], "org-a");
    let a = fetch(&api, Method::GET, "/orgs/org-a/reports", Some(&reports)).await;
    assert_eq!(
        (a.status, a.json()["organization"].clone()),
        (StatusCode::OK, json!("org-a"))
    );
    assert_eq!(
        fetch(&api, Method::GET, "/orgs/org-b/reports", Some(&reports))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // An organization-level token carries the user's organization role: a global route
    // refuses it (403), even with every scope the route needs.
    let org_admin = provider
        .token(Some(API), "read:docs admin", Some("org-a"))
        .await;
    for (method, path) in [
        (Method::GET, "/docs"),
        (Method::DELETE, "/docs/1"),
        (Method::GET, "/me"),
    ] {
        let a = fetch(&api, method.clone(), path, Some(&org_admin)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(
            a.json(),
            json!({"error": "insufficient_scope", "error_description": "the access token carries permissions granted within an organization"})
        );
    }
    // An API token without organization_id on the organization-level route.
    let plain = provider.api_token("read:reports").await;
    assert_eq!(
        fetch(&api, Method::GET, "/orgs/org-a/reports", Some(&plain))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn key_rotation_while_the_api_runs() {
    if !node_available() {
        return;
    }
    let provider = Provider::start();
    let api = serve_demo(state_for(&provider)).await;
    let first_kid = provider.signing_kid().await;
    let old = provider.api_token("read:docs").await;
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&old)).await.status,
        StatusCode::OK
    );

    // Logto publishes the next key first, then signs with it.
    let next = provider.publish("EC").await;
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&old)).await.status,
        StatusCode::OK
    );
    provider.sign_with(&next).await;
    let new = provider.api_token("read:docs").await;
    assert_eq!(decode_part(&new, 0)["kid"], next.as_str());
    // The new kid is unknown to the API: one refetch, and it validates.
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&new)).await.status,
        StatusCode::OK
    );
    // Tokens signed with the previous key keep working while it is published.
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&old)).await.status,
        StatusCode::OK
    );
    provider.drop_key(&first_kid).await;
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&new)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn switch_from_ec_to_rsa_without_restart() {
    if !node_available() {
        return;
    }
    let provider = Provider::start();
    let api = serve_demo(state_for(&provider)).await;
    let ec_kid = provider.signing_kid().await;
    let ec_token = provider.api_token("read:docs").await;
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&ec_token))
            .await
            .status,
        StatusCode::OK
    );

    let rsa_kid = provider.publish("RSA").await;
    provider.sign_with(&rsa_kid).await;
    provider.drop_key(&ec_kid).await;
    let rsa_token = provider.api_token("read:docs").await;
    let header = decode_part(&rsa_token, 0);
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("RS256"), Some(rsa_kid.as_str()))
    );
    let a = fetch(&api, Method::GET, "/docs", Some(&rsa_token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

#[tokio::test]
async fn provider_outage_and_recovery() {
    if !node_available() {
        return;
    }
    let mut provider = Provider::start();
    let port = provider.port;
    let running = state_for(&provider);
    let api = serve_demo(running).await;
    let seen = provider.api_token("read:docs").await;
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&seen)).await.status,
        StatusCode::OK
    );

    provider.stop();
    // Tokens already seen keep validating from the cached keys.
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&seen)).await.status,
        StatusCode::OK
    );
    // A new instance that never reached the provider answers 503 with Retry-After.
    let fresh = LogtoState::builder(format!("http://127.0.0.1:{port}"))
        .audience(API)
        .retry_interval(Duration::from_millis(300))
        .build()
        .unwrap();
    let fresh_api = serve_demo(fresh).await;
    let response = reqwest::Client::new()
        .get(format!("{fresh_api}/docs"))
        .bearer_auth(&seen)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    assert!(response.headers().get("www-authenticate").is_none());

    // The provider comes back on the same port (with new keys, as after a restart).
    let provider = Provider::start_on(port);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let new = provider.api_token("read:docs").await;
    assert_eq!(
        fetch(&fresh_api, Method::GET, "/docs", Some(&new))
            .await
            .status,
        StatusCode::OK
    );
    // The running instance picks up the new keys too (unknown kid -> refetch).
    assert_eq!(
        fetch(&api, Method::GET, "/docs", Some(&new)).await.status,
        StatusCode::OK
    );
}

fn without_issuer(info: &AuthInfo) -> Value {
    let mut json = serde_json::to_value(info).unwrap();
    json.as_object_mut().unwrap().remove("issuer");
    json
}

#[tokio::test]
async fn test_issuer_tokens_stand_for_provider_tokens() {
    if !node_available() {
        return;
    }
    let provider = Provider::start();
    let issuer = TestIssuer::start().await;
    // Organization-level tokens are compared too: both states accept them on `validate()`.
    let from_provider_state = LogtoState::builder(&provider.base)
        .audience(API)
        .allow_org_level_tokens()
        .build()
        .unwrap();
    let from_issuer_state = issuer
        .state_builder(API)
        .allow_org_level_tokens()
        .build()
        .unwrap();

    for (resource, organization) in [(API, None), (API, Some("org-b"))] {
        let real = provider
            .token(Some(resource), "read:docs admin", organization)
            .await;
        let real_header = decode_part(&real, 0);
        let real_claims = decode_part(&real, 1);
        // The same claims, minted by TestIssuer (only the issuer differs: each is its own).
        let mut ours = issuer.token();
        for (name, value) in real_claims.as_object().unwrap() {
            if name != "iss" {
                ours = ours.claim(name, value.clone());
            }
        }
        let ours = ours.sign();
        let our_header = decode_part(&ours, 0);
        for field in ["typ", "alg"] {
            assert_eq!(real_header[field], our_header[field], "{field}");
        }
        let mut real_names: Vec<&String> = real_claims.as_object().unwrap().keys().collect();
        let mut our_names: Vec<String> = decode_part(&ours, 1)
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        real_names.sort();
        our_names.sort();
        assert_eq!(real_names, our_names.iter().collect::<Vec<_>>());

        let real_info = from_provider_state.validate(&real).await.unwrap();
        let our_info = from_issuer_state.validate(&ours).await.unwrap();
        assert_eq!(without_issuer(&real_info), without_issuer(&our_info));
        assert_eq!(real_info.issuer(), provider.issuer());
        assert_eq!(our_info.issuer(), issuer.issuer());
        assert_eq!(real_info.org_id(), organization);
        assert!(real_info.is_machine_to_machine());
    }
    // And the token builder's defaults have the provider's claim set (but for `roles`, which
    // the provider's "custom JWT" adds).
    let real = provider.api_token("read:docs").await;
    let mut real_names: Vec<String> = decode_part(&real, 1)
        .as_object()
        .unwrap()
        .keys()
        .filter(|name| *name != "roles")
        .cloned()
        .collect();
    let default = issuer.token().audience(API).scopes(["read:docs"]).sign();
    let mut default_names: Vec<String> = decode_part(&default, 1)
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    real_names.sort();
    default_names.sort();
    assert_eq!(real_names, default_names);
}

#[test]
fn the_demo_binary_protects_its_routes_with_the_provider() {
    if !node_available() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let keys = std::env::temp_dir().join(format!("axum-logto-demo-keys-{}", std::process::id()));
    let _ = std::fs::remove_file(&keys);
    let provider = Provider::start_sharing_keys(&keys);
    let custom_domain = Provider::start_sharing_keys(&keys);
    let _ = std::fs::remove_file(&keys);
    let mut child = Command::new(demo_binary())
        .env("BIND", "127.0.0.1:0")
        .env("LOGTO_ENDPOINT", &provider.base)
        .env("LOGTO_AUDIENCE", API)
        .env(
            "LOGTO_ADDITIONAL_ISSUERS",
            format!("https://auth.example.com/oidc, {}", custom_domain.issuer()),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = KillOnDrop(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(base) = line.strip_prefix("listening on ") {
                let _ = tx.send(base.to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the demo prints its listening line");
    runtime.block_on(async {
        let token = provider.api_token("read:docs").await;
        assert_eq!(
            fetch(&base, Method::GET, "/docs", Some(&token))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            fetch(&base, Method::POST, "/docs", Some(&token))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let org = provider
            .token(Some("urn:logto:organization:org-c"), "read:members", None)
            .await;
        assert_eq!(
            fetch(&base, Method::GET, "/orgs/org-c/members", Some(&org))
                .await
                .status,
            StatusCode::OK
        );
        // LOGTO_ADDITIONAL_ISSUERS: the custom domain's tokens pass too.
        let custom = custom_domain.api_token("read:docs").await;
        assert_eq!(
            fetch(&base, Method::GET, "/docs", Some(&custom))
                .await
                .status,
            StatusCode::OK
        );
    });
}

#[tokio::test]
async fn custom_claims_from_the_providers_custom_jwt() {
    if !node_available() {
        return;
    }
    let provider = Provider::start();
    let api = serve_demo(state_for(&provider)).await;
    // test-client's tokens carry `roles: ["admin", "editor"]` (oidc-provider's
    // extraTokenClaims, as Logto's custom JWT script), test-client-post's `["viewer"]`.
    let admin = provider.api_token("read:docs").await;
    assert_eq!(decode_part(&admin, 1)["roles"], json!(["admin", "editor"]));
    let a = fetch(&api, Method::GET, "/admin/stats", Some(&admin)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["roles"], json!(["admin", "editor"]));
    let viewer = provider.api_token_of_the_post_client("read:docs").await;
    let a = fetch(&api, Method::GET, "/admin/stats", Some(&viewer)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.json()["error_description"],
        "the access token lacks the admin role"
    );
    // Both are client_credentials tokens: machine-to-machine.
    let a = fetch(&api, Method::GET, "/machine/jobs", Some(&viewer)).await;
    assert_eq!(
        (a.status, a.json()["application"].clone()),
        (StatusCode::OK, json!("test-client-post"))
    );

    // The same claim, typed, in a handler of one's own: `Auth<C>`.
    #[derive(serde::Deserialize)]
    struct Roles {
        #[serde(default)]
        roles: Vec<String>,
    }
    let own = serve(
        axum::Router::new()
            .route(
                "/roles",
                axum::routing::get(|auth: Auth<Roles>| async move {
                    axum::Json(auth.custom().roles.clone())
                }),
            )
            .with_state(state_for(&provider)),
    )
    .await;
    for (token, roles) in [
        (&admin, json!(["admin", "editor"])),
        (&viewer, json!(["viewer"])),
    ] {
        let a = fetch(&own, Method::GET, "/roles", Some(token)).await;
        assert_eq!((a.status, a.json()), (StatusCode::OK, roles));
    }
}

#[tokio::test]
async fn a_custom_domain_issues_for_the_same_tenant() {
    if !node_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("axum-logto-keys-{}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let default_domain = Provider::start_sharing_keys(&dir);
    let custom_domain = Provider::start_sharing_keys(&dir);
    let _ = std::fs::remove_file(&dir);
    assert_ne!(default_domain.issuer(), custom_domain.issuer());
    let from_default = default_domain.api_token("read:docs").await;
    let from_custom = custom_domain.api_token("read:docs").await;
    assert_eq!(decode_part(&from_custom, 1)["iss"], custom_domain.issuer());
    assert_eq!(
        decode_part(&from_custom, 0)["kid"],
        decode_part(&from_default, 0)["kid"]
    );
    // Without the option, the custom domain's tokens are for another issuer.
    let single = serve_demo(state_for(&default_domain)).await;
    let a = fetch(&single, Method::GET, "/docs", Some(&from_custom)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.json()["error_description"],
        "the access token was issued by another issuer"
    );
    // With it, both; discovery still at the endpoint, and /me says which issuer.
    let both = LogtoState::builder(&default_domain.base)
        .audience(API)
        .additional_issuer(custom_domain.issuer())
        .build()
        .unwrap();
    let api = serve_demo(both).await;
    for (token, issuer) in [
        (&from_default, default_domain.issuer()),
        (&from_custom, custom_domain.issuer()),
    ] {
        assert_eq!(
            fetch(&api, Method::GET, "/docs", Some(token)).await.status,
            StatusCode::OK
        );
        let me = fetch(&api, Method::GET, "/me", Some(token)).await.json();
        assert_eq!(me["issuer"], issuer.as_str());
    }
}
