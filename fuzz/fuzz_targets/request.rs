//! Whole requests through a router of every extractor and the layer, over a fixed key set:
//! the token sources (header, cookie, query), the organization sources (a percent-encoded path
//! parameter, a header), the layer's request path and the rejections. Never panics, never
//! waits; grants only requests that carry a token this target signed at start-up; and answers
//! every refusal as the crate's response table says (a JSON body naming the status's error,
//! and a `Bearer` challenge for 400, 401 and 403).
//!
//! Input, line by line (`\n`): the first line is the request target (path and query); each
//! further line is `name:value` of a header. In any line, `$0` … `$9` stand for the tokens
//! signed at start-up (seeds in fuzz/corpus/request use them), so that the fuzzer mixes valid
//! tokens with odd paths, headers and cookies.
#![no_main]

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use axum_logto::fuzz::{block_on, fixed_state};
use axum_logto::{
    Auth, LogtoLayer, OrgApiToken, OrgFromHeader, OrgFromPath, OrgToken, RequireScopes, scopes,
};
use axum_logto_fuzz::{AUDIENCE, Flow, ISSUER, Keys, malleated, signed_tokens};
use http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

scopes! {
    ReadDocs = "read:docs";
}

struct Setup {
    router: Router,
    /// The tokens signed at start-up, by index (what `$n` stands for).
    tokens: Vec<String>,
    /// Those some route may grant, and their ECDSA twins.
    grantable: Vec<String>,
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| {
    let keys = Keys::load();
    let jwks = serde_json::to_vec(&keys.jwks()).expect("JSON");
    let state = fixed_state(&jwks, vec![ISSUER.to_owned()], vec![AUDIENCE.to_owned()])
        .expect("the fixed JWK set parses");
    let v1 = Router::new()
        .route("/status", get(|| async { "v1" }))
        .layer(LogtoLayer::new(state.clone()));
    let router = Router::new()
        .route("/me", get(|auth: Auth| async move { auth.sub().to_owned() }))
        .route("/maybe", get(|auth: Option<Auth>| async move { auth.is_some().to_string() }))
        .route("/docs", get(|_: RequireScopes<ReadDocs>| async { "docs" }))
        .route(
            "/orgs/{org_id}/members",
            get(|org: OrgToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/orgs/{org_id}/reports",
            get(|org: OrgApiToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/header",
            get(|org: OrgToken<OrgFromHeader>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/misconfigured",
            get(|org: OrgToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .nest("/v1", v1)
        .with_state(state);
    let signed = signed_tokens(&keys);
    let tokens: Vec<String> = signed.iter().take(10).map(|s| s.token.clone()).collect();
    let mut grantable = Vec::new();
    for signed in signed.into_iter().filter(|s| s.flow != Flow::None) {
        grantable.extend(malleated(&signed.token));
        grantable.push(signed.token);
    }
    Setup {
        router,
        tokens,
        grantable,
    }
});

/// `line` with `$0` … `$9` replaced by the tokens signed at start-up.
fn expand(line: &[u8], tokens: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] == b'$'
            && let Some(token) = line
                .get(i + 1)
                .filter(|b| b.is_ascii_digit())
                .and_then(|b| tokens.get(usize::from(b - b'0')))
        {
            out.extend_from_slice(token.as_bytes());
            i += 2;
            continue;
        }
        out.push(line[i]);
        i += 1;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let setup = &*SETUP;
    let mut lines = data.split(|b| *b == b'\n');
    let target = expand(lines.next().unwrap_or_default(), &setup.tokens);
    let Ok(uri) = http::Uri::try_from(target) else {
        return;
    };
    let mut request = Request::get(uri);
    for line in lines {
        let line = expand(line, &setup.tokens);
        let at = line.iter().position(|b| *b == b':').unwrap_or(line.len());
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(&line[..at]),
            http::HeaderValue::from_bytes(line.get(at + 1..).unwrap_or_default()),
        ) else {
            continue;
        };
        request = request.header(name, value);
    }
    let Ok(request) = request.body(Body::empty()) else {
        return;
    };
    // What the request carries anywhere (headers, the query, decoded too): a grant needs one
    // of ours in it.
    let carried = {
        let mut all = request.uri().to_string().into_bytes();
        let query = request.uri().query().unwrap_or_default().as_bytes();
        for (name, value) in url::form_urlencoded::parse(query) {
            all.extend_from_slice(format!("\n{name}={value}").as_bytes());
        }
        for value in request.headers().values() {
            all.push(b'\n');
            all.extend_from_slice(value.as_bytes());
        }
        String::from_utf8_lossy(&all).into_owned()
    };
    let path = request.uri().path().to_owned();
    let Ok(response) = block_on(setup.router.clone().oneshot(request));
    let status = response.status();
    let challenge = response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("a challenge is visible ASCII").to_owned());
    let body = block_on(axum::body::to_bytes(response.into_body(), 1 << 16)).expect("a body");

    let open = path == "/maybe";
    if status == StatusCode::OK && !open {
        assert!(
            setup.grantable.iter().any(|token| carried.contains(token.as_str())),
            "granted {path} without a token signed here"
        );
    }
    match status {
        StatusCode::OK | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {}
        StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            let json: serde_json::Value = serde_json::from_slice(&body).expect("a JSON body");
            let code = json["error"].as_str().expect("an error code");
            let expected = match status {
                StatusCode::BAD_REQUEST => ["invalid_request"].as_slice(),
                StatusCode::UNAUTHORIZED => &["invalid_token", "unauthorized"],
                _ => &["insufficient_scope"],
            };
            assert!(expected.contains(&code), "{status} with {code}");
            let description = json["error_description"].as_str().expect("a description");
            assert!(!description.contains('"') && !description.contains('\\'));
            let challenge = challenge.expect("a challenge");
            assert!(challenge.starts_with("Bearer realm=\"fuzz\""), "{challenge}");
        }
        StatusCode::INTERNAL_SERVER_ERROR => {
            assert_eq!(path, "/misconfigured", "a 500 elsewhere");
            assert!(challenge.is_none());
        }
        other => panic!("an answer outside the table: {other}"),
    }
});
