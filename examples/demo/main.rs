//! The demo API: every extractor of axum-logto on one router.
//!
//! With no environment it starts an embedded `TestIssuer` (no Logto account needed) and prints
//! ready-to-paste `curl` commands with freshly minted tokens. With `LOGTO_ENDPOINT` and
//! `LOGTO_AUDIENCE` set it protects the same routes with that Logto tenant instead.
//!
//! ```text
//! cargo run --example demo --all-features
//! LOGTO_ENDPOINT=https://my-tenant.logto.app LOGTO_AUDIENCE=https://api.example.com cargo run --example demo --all-features
//! ```
//!
//! `LOGTO_WEBHOOK_SIGNING_KEY` turns on `POST /webhooks/logto`, which takes Logto's signed
//! webhooks and revokes the tokens their events take something from (the demo prints how to
//! register it with Logto); `POST /admin/revocations` (an `admin` token, body
//! `{"sub": "<subject>"}`) revokes a subject's tokens by hand; `REDIS_URL`
//! (`redis://127.0.0.1:6379`) shares the revocations with the other demos that use it.
//!
//! `LOGTO_APP_ID` and `LOGTO_APP_SECRET` (a machine-to-machine application allowed to call the
//! demo's API resource, with token exchange on for `/upstream/on-behalf`) turn on
//! `GET /upstream`, which calls the demo's own `GET /me` with a token of that application and
//! answers `{"upstream": <what /me answered>}`, and `GET /upstream/on-behalf`, the same with a
//! token exchanged from the caller's (its `sub` is the caller, its `client_id` the application);
//! without them both answer 503. With the embedded issuer any values work: it registers them.
//!
//! `BIND` sets the address (default `127.0.0.1:3000`). `GET /openapi.json` is its OpenAPI
//! document, made from the handlers' extractors (aide). `GET /metrics` answers the crate's metrics
//! (feature `metrics`) in Prometheus text format. The demo publishes its protected-resource
//! metadata (RFC 9728) at `/.well-known/oauth-protected-resource` and names it in its 401
//! challenges; the document's URL starts with `PUBLIC_URL` when set, else the address it
//! listens on. `LOGTO_ADDITIONAL_ISSUERS` (comma-separated)
//! accepts more issuers for the same keys, as a tenant with a custom domain needs (for instance
//! `https://<tenant>.logto.app/oidc` beside `https://auth.example.com/oidc`).
//!
//! For load tests (`benches/http/run.sh`), the embedded issuer can also mint many tokens: with
//! `DEMO_TOKENS_FILE=<path>` and `DEMO_TOKENS=<n>` the demo writes `n` fresh tokens, one per line,
//! to that file before it listens. Each is a distinct token (its own `jti`) like the printed
//! `read:docs` one: `sub: demo-user`, `aud: https://api.example.com`, `scope: read:docs`, valid
//! for one hour. Both variables must be set together, and only without `LOGTO_ENDPOINT`.
//! `DEMO_CACHE_SIZE=<bytes>` sizes the verified-token cache (16 MiB by default; `0` turns it
//! off), to tell the cache's memory from the rest of the process's.

mod app;
mod revocations;
mod upstream;

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, IsTerminal as _, Write as _};

use axum_logto::testing::TestIssuer;
use axum_logto::{LogtoState, LogtoStateBuilder, RedisRevocations, ResourceMetadata};
use serde_json::json;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,axum_logto=debug".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal, not in a redirected log.
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let endpoint = std::env::var("LOGTO_ENDPOINT")
        .ok()
        .filter(|s| !s.is_empty());
    let audience = std::env::var("LOGTO_AUDIENCE")
        .ok()
        .filter(|s| !s.is_empty());

    let tokens_file = tokens_file()?;
    if tokens_file.is_some() && endpoint.is_some() {
        return Err("DEMO_TOKENS_FILE needs the embedded issuer: unset LOGTO_ENDPOINT".into());
    }

    // Metrics (the crate's feature `metrics`), in Prometheus text format at GET /metrics.
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&[0.000_01, 0.000_1, 0.001, 0.01, 0.1, 1.0, 5.0])?
        .install_recorder()?;
    // Histogram samples wait in a buffer until upkeep folds them into buckets: every second
    // keeps that buffer small under load (at 50,000 requests/s, 5 s of samples hold ~2 MiB).
    let upkeep = metrics.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            upkeep.run_upkeep();
        }
    });

    let (app_id, app_secret) = (env("LOGTO_APP_ID"), env("LOGTO_APP_SECRET"));
    // The embedded issuer lives as long as `main`.
    let mut embedded = None;
    let (builder, client) = match (endpoint, audience) {
        (Some(endpoint), Some(audience)) => {
            let client = upstream::client(&endpoint, app_id, app_secret)?;
            (LogtoState::builder(endpoint).audience(audience), client)
        }
        (None, None) => {
            let issuer = TestIssuer::start().await;
            if let (Some(id), Some(secret)) = (&app_id, &app_secret) {
                issuer.register_client(id, secret);
            }
            let client = upstream::client(&issuer.endpoint(), app_id, app_secret)?;
            if let Some((path, count)) = &tokens_file {
                write_tokens(&issuer, path, *count)?;
            }
            let builder = issuer.state_builder(app::DEMO_AUDIENCE);
            embedded = Some(issuer);
            (builder, client)
        }
        _ => return Err("set both LOGTO_ENDPOINT and LOGTO_AUDIENCE, or neither".into()),
    };
    // Bound first: the protected-resource metadata names the address clients reach.
    let listener = TcpListener::bind(&bind).await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let public_url = std::env::var("PUBLIC_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| base.clone());

    let additional = std::env::var("LOGTO_ADDITIONAL_ISSUERS").unwrap_or_default();
    let mut builder = additional
        .split(',')
        .map(str::trim)
        .filter(|issuer| !issuer.is_empty())
        .fold(builder, LogtoStateBuilder::additional_issuer)
        .resource_metadata(
            ResourceMetadata::new(public_url.clone())
                .scopes_supported(app::DEMO_SCOPES)
                .resource_name("axum-logto demo"),
        );
    // Revocations shared with the other replicas of the demo through Redis.
    if let Some(url) = env("REDIS_URL") {
        builder = builder.revocation_store(RedisRevocations::new(&url)?);
    }
    // For load tests: the verified-token cache's size in bytes (`0` turns it off).
    if let Some(size) = env("DEMO_CACHE_SIZE") {
        let size = size
            .parse()
            .map_err(|_| format!("DEMO_CACHE_SIZE must be a number of bytes, not {size:?}"))?;
        builder = builder.verified_token_cache_size(size);
    }
    let logto = builder.build()?;
    let signing_key = env("LOGTO_WEBHOOK_SIGNING_KEY");
    if let Err(error) = logto.preload().await {
        // Not fatal: requests answer 503 until the keys load.
        tracing::warn!(%error, "could not load the signing keys yet");
    }

    if let Some(issuer) = &embedded {
        print_curl_lines(issuer, &base, logto.issuers(), client.is_some());
    } else {
        println!(
            "# protecting the routes with {} for {:?}",
            logto.issuer(),
            logto.audiences()
        );
        let endpoint = logto.issuer().trim_end_matches("/oidc");
        revocations::print_webhook_help(endpoint, &public_url, signing_key.is_some());
    }
    println!("listening on {base}");
    let more = aide::axum::ApiRouter::new()
        .api_route(
            "/metrics",
            aide::axum::routing::get_with(
                move || std::future::ready(metrics.render()),
                |op| op.description("The crate's metrics, Prometheus text format."),
            ),
        )
        .merge(revocations::routes(signing_key.as_deref()))
        .merge(upstream::routes(&logto, client, &base));
    let app = app::router_with(logto.clone(), more)
        .merge(revocations::webhook(&logto, signing_key.as_deref()));
    axum::serve(listener, app).await?;
    Ok(())
}

/// The environment variable `name`, unless unset or empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

/// `DEMO_TOKENS_FILE` and `DEMO_TOKENS`, when both are set.
fn tokens_file() -> Result<Option<(String, usize)>, Box<dyn Error>> {
    let var = |name| std::env::var(name).ok().filter(|s: &String| !s.is_empty());
    match (var("DEMO_TOKENS_FILE"), var("DEMO_TOKENS")) {
        (None, None) => Ok(None),
        (Some(path), Some(count)) => {
            let count = count
                .parse()
                .map_err(|_| format!("DEMO_TOKENS must be a number, not {count:?}"))?;
            Ok(Some((path, count)))
        }
        _ => Err("set both DEMO_TOKENS_FILE and DEMO_TOKENS, or neither".into()),
    }
}

/// Writes `count` fresh `read:docs` tokens for the demo's audience to `path`, one per line.
/// Tokens go to the file as they are signed, so the demo's memory stays as without them.
fn write_tokens(issuer: &TestIssuer, path: &str, count: usize) -> Result<(), Box<dyn Error>> {
    let mut out = BufWriter::new(File::create(path)?);
    for _ in 0..count {
        let token = issuer
            .token()
            .sub("demo-user")
            .audience(app::DEMO_AUDIENCE)
            .scopes(["read:docs"])
            .sign();
        writeln!(out, "{token}")?;
    }
    out.flush()?;
    Ok(())
}

/// Prints one `curl` line per case, each after a comment that says the expected status.
fn print_curl_lines(issuer: &TestIssuer, base: &str, issuers: &[String], upstream: bool) {
    let api = app::DEMO_AUDIENCE;
    let user = |scopes: &[&str]| {
        issuer
            .token()
            .sub("demo-user")
            .audience(api)
            .scopes(scopes.iter().copied())
            .sign()
    };
    let org = |org: &str, scopes: &[&str]| {
        issuer
            .token()
            .sub("demo-user")
            .org_audience(org)
            .scopes(scopes.iter().copied())
            .sign()
    };
    let org_api = |org: &str, scopes: &[&str]| {
        issuer
            .token()
            .sub("demo-user")
            .audience(api)
            .org_id(org)
            .scopes(scopes.iter().copied())
            .sign()
    };
    let with_roles = |roles: serde_json::Value| {
        issuer
            .token()
            .sub("demo-user")
            .audience(api)
            .claim("roles", roles)
            .sign()
    };
    let machine = || {
        issuer
            .token()
            .sub("demo-machine")
            .client_id("demo-machine")
            .audience(api)
            .sign()
    };
    // A custom domain: the same keys, another `iss`. Accepted when LOGTO_ADDITIONAL_ISSUERS
    // lists it (the first one listed), refused otherwise.
    let (custom_domain, custom_domain_case, custom_domain_status) = match issuers.get(1) {
        Some(listed) => (
            listed.as_str(),
            "token from a custom domain in LOGTO_ADDITIONAL_ISSUERS",
            200,
        ),
        None => (
            "https://auth.example.com/oidc",
            "token from a custom domain not in LOGTO_ADDITIONAL_ISSUERS",
            401,
        ),
    };
    let from_custom_domain = issuer
        .token()
        .sub("demo-user")
        .audience(api)
        .scopes(["read:docs"])
        .claim("iss", json!(custom_domain))
        .sign();
    let mut cases: Vec<(&str, &str, &str, Option<String>, u16)> = vec![
        ("no token needed", "GET", "/public", None, 200),
        ("who am I", "GET", "/me", Some(user(&[])), 200),
        ("optional auth, anonymous", "GET", "/maybe", None, 200),
        (
            "optional auth, with a token",
            "GET",
            "/maybe",
            Some(user(&[])),
            200,
        ),
        ("read:docs", "GET", "/docs", Some(user(&["read:docs"])), 200),
        (
            "read:docs and write:docs",
            "POST",
            "/docs",
            Some(user(&["read:docs", "write:docs"])),
            200,
        ),
        (
            "delete:docs or admin (admin)",
            "DELETE",
            "/docs/42",
            Some(user(&["admin"])),
            200,
        ),
        (
            "organization token for acme",
            "GET",
            "/orgs/acme/members",
            Some(org("acme", &["read:members"])),
            200,
        ),
        (
            "organization token with invite:members",
            "POST",
            "/orgs/acme/invitations",
            Some(org("acme", &["invite:members"])),
            200,
        ),
        (
            "organization-level API token for acme",
            "GET",
            "/orgs/acme/reports",
            Some(org_api("acme", &["read:reports"])),
            200,
        ),
        (
            "custom claim roles contains admin",
            "GET",
            "/admin/stats",
            Some(with_roles(json!(["admin"]))),
            200,
        ),
        (
            "custom claim roles without admin",
            "GET",
            "/admin/stats",
            Some(with_roles(json!(["viewer"]))),
            403,
        ),
        (
            "custom claim roles of the wrong JSON type",
            "GET",
            "/admin/stats",
            Some(with_roles(json!("admin"))),
            401,
        ),
        (
            "machine-to-machine token (sub = client_id)",
            "GET",
            "/machine/jobs",
            Some(machine()),
            200,
        ),
        (
            "a user's token on a machine-only route",
            "GET",
            "/machine/jobs",
            Some(user(&[])),
            403,
        ),
        (
            "organization-level token on a global route",
            "GET",
            "/docs",
            Some(org_api("acme", &["read:docs"])),
            403,
        ),
        (
            "a nested router behind the layer",
            "GET",
            "/v1/status",
            Some(user(&[])),
            200,
        ),
        ("the layer without a token", "GET", "/v1/status", None, 401),
        (
            "protected-resource metadata (RFC 9728)",
            "GET",
            "/.well-known/oauth-protected-resource",
            None,
            200,
        ),
        (
            "metrics, Prometheus text format",
            "GET",
            "/metrics",
            None,
            200,
        ),
        ("no token", "GET", "/me", None, 401),
        (
            "expired token",
            "GET",
            "/docs",
            Some(
                issuer
                    .token()
                    .sub("demo-user")
                    .audience(api)
                    .scopes(["read:docs"])
                    .expires_in(-3600)
                    .sign(),
            ),
            401,
        ),
        (
            "token for another API",
            "GET",
            "/me",
            Some(issuer.token().audience("https://other.example.com").sign()),
            401,
        ),
        (
            "missing scope write:docs",
            "POST",
            "/docs",
            Some(user(&["read:docs"])),
            403,
        ),
        (
            "wrong organization",
            "GET",
            "/orgs/globex/members",
            Some(org("acme", &["read:members"])),
            403,
        ),
    ];
    // 200 with the demo's application (LOGTO_APP_ID, LOGTO_APP_SECRET), 503 without.
    let (as_app, on_behalf, upstream_status) = match upstream {
        true => (
            "the demo calls its /me as its application",
            "the demo calls its /me for the caller (token exchange)",
            200,
        ),
        false => (
            "upstream call, LOGTO_APP_ID and LOGTO_APP_SECRET unset",
            "upstream call for the caller, LOGTO_APP_ID and LOGTO_APP_SECRET unset",
            503,
        ),
    };
    cases.push((as_app, "GET", "/upstream", Some(user(&[])), upstream_status));
    cases.push((
        on_behalf,
        "GET",
        "/upstream/on-behalf",
        Some(user(&[])),
        upstream_status,
    ));
    cases.push((
        custom_domain_case,
        "GET",
        "/docs",
        Some(from_custom_domain),
        custom_domain_status,
    ));
    // A manual revocation (last: it stops demo-other's tokens, no other line's).
    let other = issuer
        .token()
        .sub("demo-other")
        .audience(api)
        .scopes(["read:docs"])
        .sign();
    println!(
        "# axum-logto demo: an embedded test issuer at {}",
        issuer.issuer()
    );
    println!("# paste any of these (tokens are valid for one hour):");
    for (what, method, path, token, status) in cases {
        println!();
        println!("# {what}: {method} {path} -> {status}");
        let method = if method == "GET" {
            String::new()
        } else {
            format!(" -X {method}")
        };
        match token {
            Some(token) => {
                println!("curl -i{method} -H 'Authorization: Bearer {token}' {base}{path}");
            }
            None => println!("curl -i{method} {base}{path}"),
        }
    }
    println!();
    println!("# demo-other reads the docs: GET /docs -> 200");
    println!("curl -i -H 'Authorization: Bearer {other}' {base}/docs");
    println!();
    println!("# an admin revokes demo-other's tokens by hand: POST /admin/revocations -> 204");
    println!(
        "curl -i -X POST -H 'Authorization: Bearer {}' -H 'content-type: application/json' \
         -d '{{\"sub\":\"demo-other\"}}' {base}/admin/revocations",
        user(&["admin"])
    );
    println!();
    println!("# demo-other's token after the revocation: GET /docs -> 401");
    println!("curl -i -H 'Authorization: Bearer {other}' {base}/docs");
    println!();
}
