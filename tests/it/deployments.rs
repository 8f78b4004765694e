//! What real Logto deployments need: several issuers for one tenant (custom domains), typed
//! custom claims, claim checks in the signature, and who is calling (machine-to-machine
//! tokens, delegation, allowed applications).

use crate::common::{API, bearer, call};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_logto::testing::TestIssuer;
use axum_logto::{
    Auth, AuthInfo, ClaimCheck, ConfigError, InvalidTokenReason as R, MachineOnly, OrgApiToken,
    OrgFromPath, RequireCheck, RequireScopes, UserOnly, scopes,
};
use serde::Deserialize;
use serde_json::json;

scopes! { ReadDocs = "read:docs"; }

// ---- several issuers ------------------------------------------------------------------------

#[tokio::test]
async fn a_custom_domain_and_the_default_domain_issue_for_one_tenant() {
    let issuer = TestIssuer::start().await;
    let custom_domain = "https://auth.example.com/oidc";
    let token = issuer
        .token()
        .audience(API)
        .claim("iss", json!(custom_domain))
        .sign();
    let own = issuer.token().audience(API).sign();
    // Without the option: the other issuer is refused.
    let single = issuer.state_builder(API).build().unwrap();
    assert_refused!(single, token, R::WrongIssuer);
    // With it: both, signed by the same keys, and the token says which.
    let both = issuer
        .state_builder(API)
        .additional_issuer(custom_domain)
        .build()
        .unwrap();
    assert_eq!(both.issuers(), [issuer.issuer(), custom_domain]);
    assert_eq!(both.validate(&token).await.unwrap().issuer(), custom_domain);
    assert_eq!(both.validate(&own).await.unwrap().issuer(), issuer.issuer());
    // Anything else is still refused, exactly.
    for other in [
        "https://auth.example.com/oidc/",
        "https://auth.example.com",
        "https://evil.example/oidc",
    ] {
        let token = issuer
            .token()
            .audience(API)
            .claim("iss", json!(other))
            .sign();
        assert_refused!(both, token, R::WrongIssuer, "{other}");
    }
    // Discovery still runs at the endpoint (once per state) and checks its own issuer.
    assert_eq!(issuer.discovery_requests(), 2);
}

#[test]
fn additional_issuers_must_be_https_or_loopback_urls() {
    for (bad, insecure) in [
        ("http://auth.example.com/oidc", true),
        ("auth.example.com/oidc", false),
        ("https://auth.example.com/oidc?x=1", false),
    ] {
        let error = axum_logto::LogtoState::builder("https://t.logto.app")
            .audience(API)
            .additional_issuer(bad)
            .build()
            .unwrap_err();
        let expected = if insecure {
            ConfigError::InsecureUrl {
                what: "additional_issuer",
                value: bad.to_owned(),
            }
        } else {
            ConfigError::InvalidUrl {
                what: "additional_issuer",
                value: bad.to_owned(),
            }
        };
        assert_eq!(error, expected);
    }
}

// ---- typed custom claims and claim checks --------------------------------------------------

#[derive(Debug, Deserialize)]
struct Custom {
    #[serde(default)]
    roles: Vec<String>,
    plan: Option<String>,
}

struct IsAdmin;

impl ClaimCheck for IsAdmin {
    type Claims = Custom;
    const DESCRIPTION: &'static str = "the access token lacks the admin role";

    fn check(_: &AuthInfo, claims: &Custom) -> bool {
        claims.roles.iter().any(|role| role == "admin")
    }
}

struct ProPlan;

impl ClaimCheck for ProPlan {
    type Claims = Custom;
    const DESCRIPTION: &'static str = "this feature needs the pro plan";

    fn check(_: &AuthInfo, claims: &Custom) -> bool {
        claims.plan.as_deref() == Some("pro")
    }
}

fn router(issuer: &TestIssuer) -> Router {
    Router::new()
        .route(
            "/plan",
            get(|auth: Auth<Custom>| async move {
                format!("{:?} {:?}", auth.custom().plan, auth.custom().roles)
            }),
        )
        .route(
            // Two extractors of one request share one read of the custom claims; the
            // address shows it is the same value across requests too.
            "/shared",
            get(
                |a: Auth<Custom>, b: RequireScopes<ReadDocs, Custom>| async move {
                    assert!(std::ptr::eq(a.custom(), b.custom()));
                    format!("{:p}", a.custom())
                },
            ),
        )
        .route("/admin", get(|_: RequireCheck<IsAdmin>| async { "admin" }))
        .route("/pro", get(|_: RequireCheck<ProPlan>| async { "pro" }))
        .route(
            "/machine",
            get(|m: RequireCheck<MachineOnly>| async move { m.sub().to_owned() }),
        )
        .route(
            "/user",
            get(|u: RequireCheck<UserOnly>| async move { u.sub().to_owned() }),
        )
        .route(
            "/orgs/{org_id}/plan",
            get(|t: OrgApiToken<OrgFromPath, (), Custom>| async move {
                format!("{} {:?}", t.org_id(), t.custom().plan)
            }),
        )
        .with_state(issuer.state_builder(API).build().unwrap())
}

#[tokio::test]
async fn custom_claims_are_typed_read_once_and_follow_serde() {
    let issuer = TestIssuer::start().await;
    let app = router(&issuer);
    let token = issuer
        .token()
        .audience(API)
        .scopes(["read:docs"])
        .claim("roles", json!(["admin", "editor"]))
        .claim("plan", json!("pro"))
        .sign();
    let auth = bearer(&token);
    let a = call(&app, "/plan", &[("authorization", &auth)]).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, r#"Some("pro") ["admin", "editor"]"#)
    );
    // Missing claims: serde's defaults.
    let bare = issuer.token().audience(API).sign();
    let a = call(&app, "/plan", &[("authorization", &bearer(&bare))]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "None []"));
    // Read once per token: the same value in two extractors and in the next request.
    let first = call(&app, "/shared", &[("authorization", &auth)]).await;
    let second = call(&app, "/shared", &[("authorization", &auth)]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body, second.body);
    // A claim of another JSON type is 401 invalid_token, with the claims reason.
    for (name, value) in [("roles", json!("admin")), ("plan", json!(7))] {
        let token = issuer.token().audience(API).claim(name, value).sign();
        let a = call(&app, "/plan", &[("authorization", &bearer(&token))]).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(
            a.json(),
            json!({"error": "invalid_token", "error_description": R::InvalidClaims.description()})
        );
    }
    // The organization extractors read them too.
    let org = issuer
        .token()
        .audience(API)
        .org_id("acme")
        .claim("plan", json!("team"))
        .sign();
    let a = call(&app, "/orgs/acme/plan", &[("authorization", &bearer(&org))]).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, r#"acme Some("team")"#)
    );
}

#[tokio::test]
async fn claim_checks_are_403_with_their_own_description() {
    let issuer = TestIssuer::start().await;
    let app = router(&issuer);
    let with = |roles: serde_json::Value, plan: &str| {
        bearer(
            &issuer
                .token()
                .audience(API)
                .claim("roles", roles)
                .claim("plan", json!(plan))
                .sign(),
        )
    };
    let admin = with(json!(["admin"]), "free");
    assert_eq!(
        call(&app, "/admin", &[("authorization", &admin)])
            .await
            .status,
        StatusCode::OK
    );
    let a = call(&app, "/pro", &[("authorization", &admin)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            r#"Bearer realm="https://api.example.com", error="insufficient_scope", error_description="this feature needs the pro plan""#
        )
    );
    let viewer = with(json!(["viewer"]), "pro");
    let a = call(&app, "/admin", &[("authorization", &viewer)]).await;
    assert_eq!(
        (a.status, a.json()["error_description"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("the access token lacks the admin role")
        )
    );
    assert_eq!(
        call(&app, "/pro", &[("authorization", &viewer)])
            .await
            .status,
        StatusCode::OK
    );
    // The wrong type for the check's claims is 401, not 403.
    let wrong = with(json!({"admin": true}), "pro");
    assert_eq!(
        call(&app, "/admin", &[("authorization", &wrong)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

// ---- who is calling ----------------------------------------------------------------------------

#[tokio::test]
async fn machine_and_user_tokens_are_told_apart() {
    let issuer = TestIssuer::start().await;
    let app = router(&issuer);
    let machine = bearer(
        &issuer
            .token()
            .sub("app-1")
            .client_id("app-1")
            .audience(API)
            .sign(),
    );
    let user = bearer(
        &issuer
            .token()
            .sub("u1")
            .client_id("app-1")
            .audience(API)
            .sign(),
    );
    let a = call(&app, "/machine", &[("authorization", &machine)]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "app-1"));
    let a = call(&app, "/machine", &[("authorization", &user)]).await;
    assert_eq!(
        (a.status, a.json()["error_description"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("the access token is not a machine-to-machine token")
        )
    );
    let a = call(&app, "/user", &[("authorization", &user)]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "u1"));
    let a = call(&app, "/user", &[("authorization", &machine)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_actor_of_a_delegated_token() {
    let issuer = TestIssuer::start().await;
    let state = issuer.state_builder(API).build().unwrap();
    let token = issuer
        .token()
        .sub("customer-7")
        .audience(API)
        .claim(
            "act",
            json!({"sub": "support-agent", "act": {"sub": "admin"}}),
        )
        .sign();
    let info = state.validate(&token).await.unwrap();
    let actor = info.actor().unwrap();
    assert_eq!((info.sub(), actor.sub()), ("customer-7", "support-agent"));
    assert_eq!(actor.actor().unwrap().sub(), "admin");
    assert_eq!(
        serde_json::to_value(&info).unwrap()["actor"],
        json!({"sub": "support-agent", "act": {"sub": "admin"}})
    );
    let plain = issuer.token().audience(API).sign();
    assert!(state.validate(&plain).await.unwrap().actor().is_none());
    let bad = issuer
        .token()
        .audience(API)
        .claim("act", json!("admin"))
        .sign();
    assert_refused!(state, bad, R::InvalidClaims);
}

#[tokio::test]
async fn only_the_allowed_applications() {
    let issuer = TestIssuer::start().await;
    let agent = "https://agent.example.com/client-metadata.json";
    let state = issuer
        .state_builder(API)
        .allowed_client("web-app")
        .allowed_client(agent)
        .build()
        .unwrap();
    for client in ["web-app", agent] {
        let token = issuer.token().audience(API).client_id(client).sign();
        assert!(state.validate(&token).await.is_ok(), "{client}");
    }
    for other in ["Web-App", "web-app ", "https://agent.example.com", "other"] {
        let token = issuer.token().audience(API).client_id(other).sign();
        assert_refused!(state, token, R::ClientNotAllowed, "{other}");
    }
    let without = issuer
        .token()
        .audience(API)
        .without_claim("client_id")
        .sign();
    assert_refused!(state, without, R::ClientNotAllowed);
    let app = Router::new()
        .route("/me", get(|a: Auth| async move { a.sub().to_owned() }))
        .with_state(state);
    let token = issuer.token().audience(API).client_id("other").sign();
    let a = call(&app, "/me", &[("authorization", &bearer(&token))]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.json()["error_description"],
        "the access token was issued to an application this resource does not accept"
    );
}
