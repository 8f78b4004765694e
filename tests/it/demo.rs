//! The demo API (`examples/demo`): its route table through a real TCP listener, and the demo
//! binary itself, whose printed `curl` lines are run as printed.

use crate::demo_app as app;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{KillOnDrop, demo_binary, fetch, serve};
use axum_logto::ResourceMetadata;
use axum_logto::testing::TestIssuer;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_route_table() {
    let issuer = TestIssuer::start().await;
    let base = serve(app::router(
        issuer
            .state_builder(app::DEMO_AUDIENCE)
            .resource_metadata(
                ResourceMetadata::new("https://demo.example.com")
                    .scopes_supported(app::DEMO_SCOPES),
            )
            .build()
            .unwrap(),
    ))
    .await;
    let api = app::DEMO_AUDIENCE;
    let user = |scopes: &[&str]| {
        issuer
            .token()
            .sub("u1")
            .audience(api)
            .scopes(scopes.iter().copied())
            .sign()
    };
    let org = |id: &str, scopes: &[&str]| {
        issuer
            .token()
            .org_audience(id)
            .scopes(scopes.iter().copied())
            .sign()
    };
    let org_api = |id: &str, scopes: &[&str]| {
        issuer
            .token()
            .audience(api)
            .org_id(id)
            .scopes(scopes.iter().copied())
            .sign()
    };
    let roles = |roles: serde_json::Value| {
        issuer
            .token()
            .sub("u1")
            .audience(api)
            .claim("roles", roles)
            .sign()
    };
    let machine = || {
        issuer
            .token()
            .sub("m1")
            .client_id("m1")
            .audience(api)
            .sign()
    };
    let rows: Vec<(Method, &str, Option<String>, u16)> = vec![
        (Method::GET, "/public", None, 200),
        (Method::GET, "/me", Some(user(&[])), 200),
        (Method::GET, "/me", None, 401),
        (Method::GET, "/maybe", None, 200),
        (Method::GET, "/maybe", Some(user(&[])), 200),
        (Method::GET, "/docs", Some(user(&["read:docs"])), 200),
        (Method::GET, "/docs", Some(user(&["write:docs"])), 403),
        (
            Method::POST,
            "/docs",
            Some(user(&["read:docs", "write:docs"])),
            200,
        ),
        (Method::POST, "/docs", Some(user(&["read:docs"])), 403),
        (Method::DELETE, "/docs/7", Some(user(&["delete:docs"])), 200),
        (Method::DELETE, "/docs/7", Some(user(&["admin"])), 200),
        (Method::DELETE, "/docs/7", Some(user(&["read:docs"])), 403),
        (
            Method::GET,
            "/orgs/acme/members",
            Some(org("acme", &["read:members"])),
            200,
        ),
        (
            Method::GET,
            "/orgs/globex/members",
            Some(org("acme", &["read:members"])),
            403,
        ),
        (
            Method::GET,
            "/orgs/acme/members",
            Some(org("acme", &["invite:members"])),
            403,
        ),
        (
            Method::GET,
            "/orgs/acme/members",
            Some(user(&["read:members"])),
            401,
        ),
        (
            Method::POST,
            "/orgs/acme/invitations",
            Some(org("acme", &["invite:members"])),
            200,
        ),
        (
            Method::POST,
            "/orgs/acme/invitations",
            Some(org("acme", &["read:members"])),
            403,
        ),
        (
            Method::GET,
            "/orgs/acme/reports",
            Some(org_api("acme", &["read:reports"])),
            200,
        ),
        (
            Method::GET,
            "/orgs/globex/reports",
            Some(org_api("acme", &["read:reports"])),
            403,
        ),
        (
            Method::GET,
            "/orgs/acme/reports",
            Some(user(&["read:reports"])),
            403,
        ),
        (
            Method::GET,
            "/orgs/acme/reports",
            Some(org("acme", &["read:reports"])),
            401,
        ),
        // Custom claims and who is calling.
        (
            Method::GET,
            "/admin/stats",
            Some(roles(json!(["admin", "x"]))),
            200,
        ),
        (
            Method::GET,
            "/admin/stats",
            Some(roles(json!(["viewer"]))),
            403,
        ),
        (Method::GET, "/admin/stats", Some(user(&[])), 403),
        (
            Method::GET,
            "/admin/stats",
            Some(roles(json!("admin"))),
            401,
        ),
        (Method::GET, "/admin/stats", Some(roles(json!([1]))), 401),
        (Method::GET, "/machine/jobs", Some(machine()), 200),
        (Method::GET, "/machine/jobs", Some(user(&[])), 403),
        // The nested router behind the layer.
        (Method::GET, "/v1/status", Some(user(&[])), 200),
        (Method::GET, "/v1/status", None, 401),
        (Method::GET, "/v1/status", Some(org("acme", &[])), 401),
        // Organization-level tokens never pass global routes.
        (
            Method::GET,
            "/docs",
            Some(org_api("acme", &["read:docs"])),
            403,
        ),
        (Method::GET, "/me", Some(org_api("acme", &[])), 403),
    ];
    for (method, path, token, status) in rows {
        let answer = fetch(&base, method.clone(), path, token.as_deref()).await;
        assert_eq!(answer.status.as_u16(), status, "{method} {path}");
    }
    // Bodies of the three routes with fixed answers.
    let maybe = fetch(&base, Method::GET, "/maybe", None).await.json();
    assert_eq!(maybe, json!({"authenticated": false}));
    let me = fetch(&base, Method::GET, "/me", Some(&user(&["read:docs"])))
        .await
        .json();
    assert_eq!(me["sub"], "u1");
    assert_eq!(me["clientId"], "test-client");
    assert_eq!(me["scopes"], json!(["read:docs"]));
    assert_eq!(me["audience"], json!([api]));
    // Its protected-resource metadata, named in its 401s.
    let metadata = fetch(
        &base,
        Method::GET,
        "/.well-known/oauth-protected-resource",
        None,
    )
    .await
    .json();
    assert_eq!(metadata["resource"], api);
    assert_eq!(
        metadata["scopes_supported"],
        json!([
            "read:docs",
            "write:docs",
            "delete:docs",
            "admin",
            "read:reports",
            "read:members",
            "invite:members"
        ])
    );
    let a = fetch(&base, Method::GET, "/me", None).await;
    assert!(a.challenge.unwrap().ends_with(
        r#"resource_metadata="https://demo.example.com/.well-known/oauth-protected-resource""#
    ));
    let status = fetch(&base, Method::GET, "/v1/status", Some(&user(&[])))
        .await
        .json();
    assert_eq!(status, json!({"status": "ok", "sub": "u1"}));
    let public = fetch(&base, Method::GET, "/public", None).await;
    assert_eq!(public.status, StatusCode::OK);
}

#[test]
fn the_demo_prints_curl_lines_that_work_as_printed() {
    // Without and with a custom domain: its case is a 401, then a 200. Without and with the
    // demo's application: the upstream calls are 503, then 200.
    for (additional, custom_domain_status, app) in [
        (None, 401, None),
        (
            Some("https://auth.example.com/oidc"),
            200,
            Some(("demo-app", "demo-secret")),
        ),
    ] {
        let cases = curl_lines_work_as_printed(additional, app);
        assert!(
            cases
                .iter()
                .any(|(status, what)| what.contains("custom domain")
                    && *status == custom_domain_status),
            "{cases:?}"
        );
        let upstream_status = if app.is_some() { 200 } else { 503 };
        let upstream: Vec<_> = cases
            .iter()
            .filter(|(_, what)| what.contains("/upstream"))
            .collect();
        assert_eq!(upstream.len(), 2, "{cases:?}");
        assert!(
            upstream.iter().all(|(s, _)| *s == upstream_status),
            "{cases:?}"
        );
    }
}

/// Starts the demo (with `LOGTO_ADDITIONAL_ISSUERS` = `additional`, and `LOGTO_APP_ID`,
/// `LOGTO_APP_SECRET` = `app`), runs each printed curl line and checks its status, and what the
/// upstream calls answer; returns each case's status and comment.
fn curl_lines_work_as_printed(
    additional: Option<&str>,
    app: Option<(&str, &str)>,
) -> Vec<(u16, String)> {
    let mut command = Command::new(demo_binary());
    command
        .env("BIND", "127.0.0.1:0")
        .env_remove("LOGTO_ENDPOINT")
        .env_remove("LOGTO_AUDIENCE")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match additional {
        Some(issuers) => command.env("LOGTO_ADDITIONAL_ISSUERS", issuers),
        None => command.env_remove("LOGTO_ADDITIONAL_ISSUERS"),
    };
    match app {
        Some((id, secret)) => command
            .env("LOGTO_APP_ID", id)
            .env("LOGTO_APP_SECRET", secret),
        None => command
            .env_remove("LOGTO_APP_ID")
            .env_remove("LOGTO_APP_SECRET"),
    };
    let mut child = command.spawn().expect("start the demo");
    let stdout = child.stdout.take().unwrap();
    let _guard = KillOnDrop(child);

    let started = Instant::now();
    let mut cases: Vec<(u16, String)> = Vec::new();
    let mut lines: Vec<(u16, String)> = Vec::new();
    let mut expected: Option<(u16, String)> = None;
    let mut listening = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the demo took too long to start"
        );
        if let Some(addr) = line.strip_prefix("listening on ") {
            listening = Some(addr.to_owned());
            break;
        }
        if line.starts_with("# ") {
            expected = line
                .rsplit_once("-> ")
                .and_then(|(_, s)| s.parse().ok())
                .map(|status| (status, line.clone()));
        } else if line.starts_with("curl ") {
            let (status, what) = expected.take().expect("a curl line follows its comment");
            cases.push((status, what));
            lines.push((status, line));
        }
    }
    let base = listening.expect("the demo prints `listening on http://<addr>`");
    assert!(base.starts_with("http://127.0.0.1:"));
    assert!(cases.len() >= 15, "{} curl lines", cases.len());
    for code in [200, 401, 403] {
        assert!(cases.iter().any(|(c, _)| *c == code), "a case for {code}");
    }
    for (status, line) in &lines {
        run_curl(*status, line);
    }
    // The upstream calls: the demo's /me as the application, then for the caller (demo-user),
    // exchanged by the application; without it, what to set.
    for (_, line) in lines.iter().filter(|(_, line)| line.contains("/upstream")) {
        let body = curl_json(line);
        let on_behalf = line.ends_with("/upstream/on-behalf");
        match app {
            Some((id, _)) => {
                let me = &body["upstream"];
                assert_eq!(
                    me["sub"],
                    if on_behalf { "demo-user" } else { id },
                    "{body}"
                );
                assert_eq!(me["clientId"], id, "{body}");
                assert_eq!(me["audience"], json!([app::DEMO_AUDIENCE]), "{body}");
            }
            None => {
                assert_eq!(body["error"], "upstream_not_configured", "{body}");
                let description = body["error_description"].as_str().unwrap();
                assert!(
                    description.contains("LOGTO_APP_ID")
                        && description.contains("LOGTO_APP_SECRET"),
                    "{body}"
                );
            }
        }
    }
    // GET /metrics counts what the curl lines did, in Prometheus text format.
    let output = Command::new("curl")
        .args(["-s", "--max-time", "10", &format!("{base}/metrics")])
        .output()
        .expect("run curl");
    let metrics = String::from_utf8_lossy(&output.stdout);
    for expected in [
        r#"axum_logto_requests_total{outcome="accepted",reason="ok"}"#,
        r#"axum_logto_requests_total{outcome="refused",reason="expired"}"#,
        r#"axum_logto_requests_total{outcome="refused",reason="insufficient_scope"}"#,
        "axum_logto_keys_loaded 1",
    ] {
        assert!(metrics.contains(expected), "{expected} in\n{metrics}");
    }
    cases
}

/// Runs a printed curl line; the JSON it answers.
fn curl_json(line: &str) -> serde_json::Value {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("{line} -s --max-time 10").replacen("curl -i", "curl", 1))
        .output()
        .expect("run curl (is curl installed?)");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// Runs a printed curl line and checks the status it gets.
fn run_curl(status: u16, line: &str) {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{line} -s -o /dev/null --max-time 10 -w '%{{http_code}}'"
        ))
        .output()
        .expect("run curl (is curl installed?)");
    let got = String::from_utf8_lossy(&output.stdout);
    assert_eq!(got, status.to_string(), "{line}");
}
