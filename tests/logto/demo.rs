//! The demo binary (`examples/demo`, built by `cargo test` into `target/<profile>/examples/`)
//! with `LOGTO_ENDPOINT` and `LOGTO_AUDIENCE` pointing at the shared Logto: its routes with
//! real tokens of every kind.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::api::{get_with, send};
use crate::delegation;
use crate::oidc::{self, decode};
use crate::world::{API, World, world};

/// The binary of the example `name`, built with `cargo build --all-features --example <name>`
/// when the test run did not build the examples (`--test logto` alone does not).
pub(crate) fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let path = profile_dir.join("examples").join(name);
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _once = BUILD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--all-features", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo build --example");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// The demo, killed when dropped.
pub(crate) struct Demo {
    child: Child,
    pub(crate) base: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_demo(w: &World) -> Demo {
    start_demo_with(w, &[])
}

/// The demo against the shared Logto, with more environment variables.
pub(crate) fn start_demo_with(w: &World, env: &[(&str, String)]) -> Demo {
    let mut command = Command::new(example_binary("demo"));
    command
        .env("BIND", "127.0.0.1:0")
        .env("LOGTO_ENDPOINT", &w.logto.endpoint)
        .env("LOGTO_AUDIENCE", API)
        .env_remove("PUBLIC_URL")
        .env_remove("LOGTO_ADDITIONAL_ISSUERS")
        .env_remove("LOGTO_APP_ID")
        .env_remove("LOGTO_APP_SECRET")
        .env_remove("LOGTO_WEBHOOK_SIGNING_KEY")
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start the demo");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut demo = Demo {
        child,
        base: String::new(),
    };
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        if let Some(base) = line.strip_prefix("listening on ") {
            demo.base = base.to_owned();
            break;
        }
        lines.push(line);
    }
    assert!(!demo.base.is_empty(), "the demo did not start: {lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("protecting the routes with {}", w.logto.issuer()))),
        "{lines:?}"
    );
    demo
}

#[tokio::test]
async fn demo_binary_takes_logtos_m2m_tokens() {
    let Some(w) = world() else { return };
    let demo = tokio::task::spawn_blocking(|| start_demo(w)).await.unwrap();
    let base = &demo.base;
    assert_eq!(
        send(base, Method::GET, "/public", None, &[]).await.ok(),
        json!({ "public": true })
    );
    let token = w
        .m2m_token(&w.batch, "read:docs write:docs delete:docs")
        .await;
    let me = get_with(base, "/me", &token).await.ok();
    assert_eq!(me["sub"], w.batch.id.as_str());
    assert_eq!(me["clientId"], w.batch.id.as_str());
    assert_eq!(me["issuer"], w.logto.issuer());
    assert_eq!(
        me["scopes"],
        json!(["read:docs", "write:docs", "delete:docs"])
    );
    get_with(base, "/docs", &token).await.ok();
    send(base, Method::POST, "/docs", Some(&token), &[])
        .await
        .ok();
    send(base, Method::DELETE, "/docs/9", Some(&token), &[])
        .await
        .ok();
    let jobs = get_with(base, "/machine/jobs", &token).await.ok();
    assert_eq!(jobs["application"], w.batch.id.as_str());
    // batch's custom data makes it an admin through the customizer's `roles`.
    let stats = get_with(base, "/admin/stats", &token).await.ok();
    assert_eq!(stats["roles"], json!(["admin"]));
    let status = get_with(base, "/v1/status", &token).await.ok();
    assert_eq!(status["sub"], w.batch.id.as_str());
    let reader = w.m2m_token(&w.reader, "read:docs").await;
    get_with(base, "/admin/stats", &reader)
        .await
        .refused(403, "insufficient_scope");
    send(base, Method::POST, "/docs", Some(&reader), &[])
        .await
        .refused(403, "insufficient_scope");

    let organization = w
        .client_credentials(&w.batch, None, "read:members", Some(&w.acme))
        .await
        .access_token();
    let members = get_with(base, &format!("/orgs/{}/members", w.acme), &organization)
        .await
        .ok();
    assert_eq!(members["organization"], w.acme.as_str());
    let reports = w
        .client_credentials(&w.batch, Some(API), "read:reports", Some(&w.acme))
        .await
        .access_token();
    get_with(base, &format!("/orgs/{}/reports", w.acme), &reports)
        .await
        .ok();
    get_with(base, "/docs", &reports)
        .await
        .refused(403, "insufficient_scope");
}

#[tokio::test]
async fn demo_binary_takes_users_tokens_and_names_its_metadata() {
    let Some(w) = world() else { return };
    let demo = tokio::task::spawn_blocking(|| start_demo(w)).await.unwrap();
    let base = &demo.base;
    let alice = w.sign_in(&w.alice).await;
    let me = get_with(base, "/me", &alice.access_token).await.ok();
    assert_eq!(me["sub"], w.alice.id.as_str());
    assert_eq!(me["clientId"], w.web.id.as_str());
    let stats = get_with(base, "/admin/stats", &alice.access_token)
        .await
        .ok();
    assert_eq!(stats["roles"], json!(["admin", "editor"]));
    get_with(base, "/machine/jobs", &alice.access_token)
        .await
        .refused(403, "insufficient_scope");
    let bob = w.sign_in(&w.bob).await;
    let bob_in_acme = w
        .refresh(&bob.refresh_token, None, Some(&w.acme))
        .await
        .access_token();
    let invited = send(
        base,
        Method::POST,
        &format!("/orgs/{}/invitations", w.acme),
        Some(&bob_in_acme),
        &[],
    )
    .await
    .ok();
    assert_eq!(invited["invited"], true);
    get_with(base, "/admin/stats", &bob.access_token)
        .await
        .refused(403, "insufficient_scope");
    // The ID token: 401.
    get_with(base, "/me", &alice.id_token)
        .await
        .refused(401, "invalid_token");
    // alice impersonating bob: the demo's /me names her as the actor.
    let subject = delegation::subject_token(w, &w.bob).await;
    let actor = delegation::actor_token(w, &w.alice).await;
    let delegated = oidc::token_exchange(
        w.logto,
        &w.web,
        &[
            ("subject_token", &subject),
            ("subject_token_type", delegation::IMPERSONATION_TOKEN_TYPE),
            ("actor_token", &actor),
            ("actor_token_type", delegation::ACCESS_TOKEN_TYPE),
            ("resource", API),
            ("scope", "read:docs"),
        ],
    )
    .await
    .access_token();
    let me = get_with(base, "/me", &delegated).await.ok();
    assert_eq!(me["sub"], w.bob.id.as_str());
    assert_eq!(me["actor"]["sub"], w.alice.id.as_str());
    assert_eq!(me["scopes"], json!(["read:docs"]));
    // An organization-level API token: its organization, on the organization's route only.
    let reports = w
        .refresh(&alice.refresh_token, Some(API), Some(&w.acme))
        .await
        .access_token();
    let answer = get_with(base, &format!("/orgs/{}/reports", w.acme), &reports)
        .await
        .ok();
    assert_eq!(answer["organization"], w.acme.as_str());
    get_with(base, "/me", &reports)
        .await
        .refused(403, "insufficient_scope");

    // No token: the challenge names the protected-resource metadata, which names Logto.
    let none = send(base, Method::GET, "/me", None, &[]).await;
    assert_eq!(none.status, 401);
    let metadata_url = format!("{base}/.well-known/oauth-protected-resource");
    assert!(
        none.challenge
            .as_deref()
            .unwrap()
            .contains(&format!(r#"resource_metadata="{metadata_url}""#)),
        "{none:?}"
    );
    let metadata = send(
        base,
        Method::GET,
        "/.well-known/oauth-protected-resource",
        None,
        &[],
    )
    .await
    .ok();
    assert_eq!(metadata["resource"], API);
    assert_eq!(metadata["authorization_servers"], json!([w.logto.issuer()]));
    // What Logto publishes for that issuer: its discovery document.
    let discovery: serde_json::Value = reqwest::get(format!(
        "{}/.well-known/openid-configuration",
        w.logto.issuer()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(discovery["issuer"], w.logto.issuer());
    assert_eq!(decode(&alice.access_token, 1)["iss"], discovery["issuer"]);
}
