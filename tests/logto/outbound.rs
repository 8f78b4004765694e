//! `LogtoClient` against Logto's own token endpoint: the Management API read as the
//! application (a user and their organizations), a second API resource, many callers and one
//! token, a renewal ahead of expiry, a token exchange of a user's token checked on the receiving
//! side (an application of type machine-to-machine with `allowTokenExchange` may do both), Logto's refusals (a wrong secret, a deleted application, an unknown resource), the
//! `token` example and the demo's upstream routes.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum_logto::{
    AuthError, InvalidTokenReason, LogtoClient, SubjectToken, TokenRequest, TokenRequestErrorKind,
};
use serde_json::{Value, json};

use crate::api::get_with;
use crate::demo::{example_binary, start_demo_with};
use crate::management::App;
use crate::oidc::decode;
use crate::state;
use crate::world::{API, OTHER, World, world};

fn client(w: &World, app: &App) -> LogtoClient {
    LogtoClient::builder(
        &w.logto.endpoint,
        &app.id,
        app.secret.clone().expect("a secret"),
    )
    .build()
    .unwrap()
}

/// `GET <endpoint>/api<path>` with `token`: its status and JSON.
async fn management_get(w: &World, token: &str, path: &str) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .get(format!("{}/api{path}", w.logto.endpoint))
        .bearer_auth(token)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_application_with_the_management_api_role_reads_a_user_and_their_organizations() {
    let Some(w) = world() else { return };
    // The harness's own application has the role "Logto Management API access".
    let m = &w.logto.management;
    let client = LogtoClient::builder(&w.logto.endpoint, &m.client_id, m.client_secret.clone())
        .build()
        .unwrap();
    let token = client.token(&client.management_api()).await.unwrap();
    // Self-hosted, the default tenant: the indicator is https://default.logto.app/api.
    let claims = decode(token.secret(), 1);
    assert_eq!(claims["aud"], "https://default.logto.app/api", "{claims}");
    assert_eq!(token.scope(), Some("all"));
    let (status, user) = management_get(w, token.secret(), &format!("/users/{}", w.alice.id)).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["username"], "alice");
    let (status, orgs) = management_get(
        w,
        token.secret(),
        &format!("/users/{}/organizations", w.alice.id),
    )
    .await;
    assert_eq!(status, 200, "{orgs}");
    let ids: Vec<&str> = orgs
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [w.acme.as_str()]);
    // The header value, for any HTTP client.
    assert_eq!(
        token.authorization().to_str().unwrap(),
        format!("Bearer {}", token.secret())
    );
}

#[tokio::test]
async fn a_token_for_a_second_resource_passes_its_api_and_not_the_first() {
    let Some(w) = world() else { return };
    let token = client(w, &w.batch)
        .token(&TokenRequest::resource(OTHER).scopes(["read:docs"]))
        .await
        .unwrap();
    let info = state(&w.logto.endpoint, OTHER)
        .validate(token.secret())
        .await
        .unwrap();
    assert_eq!(info.sub(), w.batch.id);
    assert!(info.scopes().contains("read:docs"));
    assert_eq!(
        state(&w.logto.endpoint, API)
            .validate(token.secret())
            .await
            .unwrap_err(),
        AuthError::InvalidToken(InvalidTokenReason::WrongAudience)
    );
}

#[tokio::test]
async fn a_thousand_concurrent_callers_get_one_token_from_one_request() {
    let Some(w) = world() else { return };
    let client = client(w, &w.batch);
    let request = Arc::new(TokenRequest::resource(API).scopes(["read:docs"]));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let (client, request) = (client.clone(), request.clone());
            tokio::spawn(async move { client.token(&request).await.unwrap() })
        })
        .collect();
    let mut jtis = std::collections::BTreeSet::new();
    for task in tasks {
        let token = task.await.unwrap();
        jtis.insert(
            decode(token.secret(), 1)["jti"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Every token Logto issues has its own `jti`: one `jti`, one token request.
    assert_eq!(jtis.len(), 1, "{jtis:?}");
}

#[tokio::test]
async fn a_token_is_renewed_ahead_of_its_expiry_while_callers_keep_the_current_one() {
    let Some(w) = world() else { return };
    let m = &w.logto.management;
    // A resource whose tokens live 30 s.
    let short = "https://short-lived.example.com";
    let resource = m
        .post(
            "/resources",
            json!({ "name": short, "indicator": short, "accessTokenTtl": 30 }),
        )
        .await;
    assert_eq!(resource["accessTokenTtl"], 30);
    let app = m.create_m2m_app("short-lived", &[], json!({})).await;
    // The defaults (a 30 s skew, renewal 5 minutes ahead) would defeat a cache of 30 s tokens:
    // for them the skew is a quarter of the lifetime (7.5 s), and renewal starts at half.
    let client = LogtoClient::builder(&w.logto.endpoint, &app.id, app.secret.clone().unwrap())
        .build()
        .unwrap();
    let request = TokenRequest::resource(short);
    let first = client.token(&request).await.unwrap();
    let lifetime = first
        .expires_at()
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(lifetime <= Duration::from_secs(30), "{lifetime:?}");
    // Before the renewal window: the same token.
    assert_eq!(
        client.token(&request).await.unwrap().secret(),
        first.secret()
    );
    // In the window (less than 15 s left): served the current token at once, renewed behind.
    tokio::time::sleep(Duration::from_secs(16)).await;
    let started = Instant::now();
    let served = client.token(&request).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(served.secret(), first.secret());
    let renewed = loop {
        let token = client.token(&request).await.unwrap();
        if token.secret() != first.secret() {
            break token;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never renewed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(renewed.expires_at() > first.expires_at());
    eprintln!(
        "renewal: the caller in the window was served in {waited:.1?}, the renewed token came \
         {:.1?} later",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_users_token_exchanged_keeps_the_user_and_names_the_exchanging_application() {
    let Some(w) = world() else { return };
    // A machine-to-machine application allowed to exchange tokens, with no role at all.
    let agent = w
        .logto
        .management
        .create_m2m_app(
            "exchanger",
            &[],
            json!({ "customClientMetadata": { "allowTokenExchange": true } }),
        )
        .await;
    let user = w.sign_in(&w.bob).await;
    let logto = state(&w.logto.endpoint, API);
    let info = logto.validate(&user.access_token).await.unwrap();
    let subject = SubjectToken::new(user.access_token.clone(), &info);
    assert!(!format!("{subject:?}").contains(&user.access_token));
    let client = client(w, &agent);
    let request = TokenRequest::resource(API).scopes(["read:docs"]);
    let exchanged = client.exchange(&subject, &request).await.unwrap();
    // Cached per subject token and request.
    let again = client.exchange(&subject, &request).await.unwrap();
    assert_eq!(again.secret(), exchanged.secret());
    // Logto gives the exchanged token the resource's whole lifetime from now, whatever is left
    // of the caller's: it may outlive it (the client caches it no longer than the caller's).
    let (claims, caller) = (decode(exchanged.secret(), 1), decode(&user.access_token, 1));
    let lifetime = |c: &Value| c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap();
    assert_eq!(lifetime(&claims), lifetime(&caller), "{claims} {caller}");
    assert!(claims["exp"].as_i64() >= caller["exp"].as_i64());

    let received = logto.validate(exchanged.secret()).await.unwrap();
    assert_eq!(received.sub(), w.bob.id);
    assert_eq!(received.client_id(), Some(agent.id.as_str()));
    assert_ne!(received.client_id(), info.client_id());
    // Logto 1.37 sets `act` only when an actor token is sent; the exchange sends none.
    assert!(received.actor().is_none());
    // The scopes bob has (his role `editor`), as asked: no more.
    assert_eq!(received.scopes().iter().collect::<Vec<_>>(), ["read:docs"]);
}

#[tokio::test]
async fn logtos_refusals_name_the_endpoint_and_logtos_error_never_the_secret() {
    let Some(w) = world() else { return };
    let m = &w.logto.management;
    let wrong = "not-the-secret-0123456789";
    let error = LogtoClient::builder(&w.logto.endpoint, &w.batch.id, wrong)
        .build()
        .unwrap()
        .token(&TokenRequest::resource(API))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &TokenRequestErrorKind::Refused);
    assert_eq!(error.error(), Some("invalid_client"));
    assert_eq!(error.endpoint(), w.logto.token_endpoint());
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(shown.contains(&w.logto.token_endpoint()), "{shown}");
        assert!(shown.contains("invalid_client"), "{shown}");
        assert!(!shown.contains(wrong), "{shown}");
    }

    let error = client(w, &w.batch)
        .token(&TokenRequest::resource("https://unknown.example.com"))
        .await
        .unwrap_err();
    assert_eq!(error.error(), Some("invalid_target"), "{error}");

    // Logto 1.37 has no disabled state for an application: deleted, its secret stops working.
    let doomed = m.create_m2m_app("doomed", &[], json!({})).await;
    let doomed_client = client(w, &doomed);
    doomed_client
        .token(&TokenRequest::resource(API))
        .await
        .unwrap();
    m.delete(&format!("/applications/{}", doomed.id)).await;
    let error = doomed_client
        .token(&TokenRequest::resource(OTHER))
        .await
        .unwrap_err();
    assert_eq!(error.error(), Some("invalid_client"), "{error}");
    assert!(
        !error
            .to_string()
            .contains(doomed.secret.as_deref().unwrap())
    );
}

/// `cargo run --example token -- <args>` as `app` (with `secret`): success, stdout, stderr.
fn run_token_example(w: &World, app: &App, secret: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(example_binary("token"))
        .args(args)
        .env("LOGTO_ENDPOINT", &w.logto.endpoint)
        .env("LOGTO_APP_ID", &app.id)
        .env("LOGTO_APP_SECRET", secret)
        .env_remove("LOGTO_ORG_ID")
        .output()
        .expect("run the token example");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_token_example_prints_a_token_and_explains_logtos_errors() {
    let Some(w) = world() else { return };
    let secret = w.batch.secret.clone().unwrap();
    let (ok, out, err) = run_token_example(w, &w.batch, &secret, &[API, "read:docs", "write:docs"]);
    assert!(ok, "{err}");
    let token = out.trim();
    let info = state(&w.logto.endpoint, API).validate(token).await.unwrap();
    assert_eq!(
        info.scopes().iter().collect::<Vec<_>>(),
        ["read:docs", "write:docs"]
    );
    assert!(!err.contains("not granted"), "{err}");

    // A scope its roles do not give: a token without it, and a line that says so.
    let (ok, _, err) = run_token_example(w, &w.batch, &secret, &[API, "read:docs", "admin"]);
    assert!(ok, "{err}");
    assert!(err.contains("not granted: [\"admin\"]"), "{err}");

    let (ok, out, err) = run_token_example(w, &w.batch, "wrong-secret-0123456789", &[API]);
    assert!(!ok && out.is_empty(), "{out}");
    assert!(
        err.contains("invalid_client") && err.contains("LOGTO_APP_SECRET"),
        "{err}"
    );
    assert!(!err.contains("wrong-secret-0123456789"), "{err}");

    let (ok, _, err) = run_token_example(w, &w.batch, &secret, &["https://unknown.example.com"]);
    assert!(!ok);
    assert!(
        err.contains("invalid_target") && err.contains("API resource"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_calls_itself_as_its_application_and_for_its_caller() {
    let Some(w) = world() else { return };
    let m = &w.logto.management;
    // The demo's application: allowed to call the API (a role) and to exchange tokens.
    let role = m
        .create_role(
            "demo-upstream",
            "MachineToMachine",
            &w.api.scope_ids(&["read:docs"]),
        )
        .await;
    let app = m
        .create_m2m_app(
            "demo-upstream",
            &[role],
            json!({ "customClientMetadata": { "allowTokenExchange": true } }),
        )
        .await;
    let env = vec![
        ("LOGTO_APP_ID", app.id.clone()),
        ("LOGTO_APP_SECRET", app.secret.clone().unwrap()),
    ];
    let demo = tokio::task::spawn_blocking(move || start_demo_with(w, &env))
        .await
        .unwrap();
    let caller = w.sign_in(&w.carol).await.access_token;

    let upstream = get_with(&demo.base, "/upstream", &caller).await.ok();
    assert_eq!(upstream["upstream"]["sub"], app.id.as_str(), "{upstream}");
    assert_eq!(
        upstream["upstream"]["clientId"],
        app.id.as_str(),
        "{upstream}"
    );

    let on_behalf = get_with(&demo.base, "/upstream/on-behalf", &caller)
        .await
        .ok();
    assert_eq!(
        on_behalf["upstream"]["sub"],
        w.carol.id.as_str(),
        "{on_behalf}"
    );
    assert_eq!(
        on_behalf["upstream"]["clientId"],
        app.id.as_str(),
        "{on_behalf}"
    );

    // Without a token, as any protected route.
    let anonymous =
        crate::api::send(&demo.base, reqwest::Method::GET, "/upstream", None, &[]).await;
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
    drop(demo);

    // Without LOGTO_APP_ID and LOGTO_APP_SECRET: 503, saying what to set.
    let demo = tokio::task::spawn_blocking(move || start_demo_with(w, &[]))
        .await
        .unwrap();
    for path in ["/upstream", "/upstream/on-behalf"] {
        let answer = get_with(&demo.base, path, &caller).await;
        assert_eq!(answer.status, 503, "{answer:?}");
        assert_eq!(answer.body["error"], "upstream_not_configured");
        let description = answer.body["error_description"].as_str().unwrap();
        assert!(description.contains("LOGTO_APP_ID"), "{description}");
    }
}
