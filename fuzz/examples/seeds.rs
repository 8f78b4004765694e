//! Writes the generated seed corpora: `cargo run --example seeds` in `fuzz/`.
//!
//! Seeds are deterministic (see the crate docs), so running this again rewrites the same
//! files. Seeds kept from fuzzing (crash reproducers) live next to them under other names.

use std::fs;
use std::path::{Path, PathBuf};

use axum_logto_fuzz::{ISSUER, Keys, jwks_seeds, malformed_tokens, malleated, signed_tokens};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).expect("corpus directory");
    fs::write(dir.join(name), bytes).expect("seed file");
}

fn main() {
    let keys = Keys::load();
    let signed = signed_tokens(&keys);
    for token in &signed {
        write("validate", token.name, token.token.as_bytes());
    }
    let es = &signed[0].token;
    write(
        "validate",
        "es384-kid-malleated",
        malleated(es).expect("ES384").as_bytes(),
    );
    for (name, token) in malformed_tokens(&keys, &signed) {
        write("validate", name, token.as_bytes());
    }

    // The `request` target: `$n` is the n-th signed token (0: global, 4: organization,
    // 6: organization-level API).
    for (name, input) in [
        ("me-header", "/me\nauthorization:Bearer $0"),
        ("me-none", "/me"),
        ("maybe-none", "/maybe"),
        ("maybe-dpop", "/maybe\nauthorization:DPoP $0"),
        ("docs", "/docs\nauthorization:Bearer $0"),
        ("docs-m2m-no-scope", "/docs\nauthorization:Bearer $8"),
        ("org-path", "/orgs/org-fuzz-1/members\nauthorization:Bearer $4"),
        ("org-path-encoded", "/orgs/org%2Dfuzz%2D1/members\nauthorization:Bearer $4"),
        ("org-path-not-utf8", "/orgs/%FF/members\nauthorization:Bearer $4"),
        ("org-path-other", "/orgs/org-2/members\nauthorization:Bearer $4"),
        ("org-api", "/orgs/org-fuzz-1/reports\nauthorization:Bearer $6"),
        ("org-api-global", "/orgs/org-fuzz-1/reports\nauthorization:Bearer $0"),
        ("org-header", "/header\nauthorization:Bearer $4\nx-organization-id:org-fuzz-1"),
        ("org-header-twice", "/header\nauthorization:Bearer $4\nx-organization-id:org-fuzz-1\nx-organization-id:o"),
        ("misconfigured", "/misconfigured\nauthorization:Bearer $4"),
        ("layer-cookie", "/v1/status\ncookie:theme=dark; session=$0"),
        ("layer-cookie-garbage", "/v1/status\nauthorization:Bearer $0\ncookie:session=x y"),
        ("layer-query", "/v1/status?access_token=$2"),
        ("layer-query-and-header", "/v1/status?access_token=$2\nauthorization:Bearer $0"),
        ("layer-unknown", "/v1/elsewhere\nauthorization:Bearer $0"),
    ] {
        write("request", name, input.as_bytes());
    }

    for (name, body) in jwks_seeds(&keys) {
        write("jwks", name, &body);
    }

    let rs = &signed[2].token;
    for (name, input) in [
        ("bearer", format!("\nBearer {es}")),
        (
            "bearer-lowercase-query",
            format!("page=2&sort=asc\nbearer {rs}"),
        ),
        ("bearer-spaces", format!("\nBEARER    {es}")),
        ("bearer-trailing-space", format!("\nBearer {es} ")),
        ("bearer-empty", "\nBearer ".to_owned()),
        ("bearer-no-space", format!("\nBearer{es}")),
        ("bearer-tab", format!("\nBearer\t{es}")),
        ("basic", "\nBasic dXNlcjpwYXNz".to_owned()),
        ("two-headers", format!("\nBearer {es}\nBearer {rs}")),
        ("query-token", format!("access_token={es}\nBearer {es}")),
        (
            "query-token-encoded",
            format!("x=1&access%5Ftoken=a\nBearer {es}"),
        ),
        ("query-only", format!("access_token={es}")),
        (
            "other-headers",
            format!("\n>x-organization-id:org-1\n>cookie:a=b\nBearer {es}"),
        ),
        ("obs-text", "\nBearer caf\u{e9}".to_owned()),
        ("no-header", "\n".to_owned()),
    ] {
        write("authorization", name, input.as_bytes());
    }

    let logto = |issuer: &str, jwks_uri: &str| {
        serde_json::json!({
            "authorization_endpoint": format!("{issuer}/auth"),
            "claims_parameter_supported": false,
            "claims_supported": ["sub", "name", "picture", "username", "email", "roles",
                "organizations", "organization_roles", "auth_time", "at_hash", "iss", "exp", "iat"],
            "code_challenge_methods_supported": ["S256"],
            "end_session_endpoint": format!("{issuer}/session/end"),
            "grant_types_supported": ["implicit", "authorization_code", "refresh_token",
                "client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"],
            "issuer": issuer,
            "jwks_uri": jwks_uri,
            "registration_endpoint": format!("{issuer}/reg"),
            "response_modes_supported": ["form_post", "fragment", "query"],
            "response_types_supported": ["code", "id_token", "code id_token"],
            "scopes_supported": ["openid", "offline_access", "profile", "email"],
            "subject_types_supported": ["public"],
            "token_endpoint": format!("{issuer}/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_jwt",
                "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["HS256", "RS256", "PS256",
                "ES256", "EdDSA"],
            "userinfo_endpoint": format!("{issuer}/me"),
            "id_token_signing_alg_values_supported": ["ES384"],
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "require_request_uri_registration": false,
        })
        .to_string()
    };
    // The first byte picks the endpoint (see fuzz_targets/discovery.rs, `ENDPOINTS`).
    let https = ISSUER;
    let local = "http://localhost:3001/oidc";
    for (name, pick, body) in [
        ("logto", 0u8, logto(https, &format!("{https}/jwks"))),
        ("logto-localhost", 2, logto(local, &format!("{local}/jwks"))),
        (
            "minimal",
            0,
            format!(r#"{{"issuer":"{https}","jwks_uri":"{https}/jwks"}}"#),
        ),
        (
            "issuer-trailing-slash",
            0,
            logto(&format!("{https}/"), &format!("{https}/jwks")),
        ),
        (
            "foreign-jwks-uri",
            0,
            logto(https, "https://evil.example/oidc/jwks"),
        ),
        (
            "http-jwks-uri",
            0,
            logto(https, "http://fuzz.logto.app/oidc/jwks"),
        ),
        (
            "explicit-port",
            0,
            logto(https, "https://fuzz.logto.app:443/oidc/jwks"),
        ),
        (
            "other-port",
            0,
            logto(https, "https://fuzz.logto.app:8443/oidc/jwks"),
        ),
        (
            "credentials",
            0,
            logto(https, "https://user:pass@fuzz.logto.app/oidc/jwks"),
        ),
        ("relative", 0, logto(https, "/oidc/jwks")),
        (
            "ipv6",
            4,
            logto("http://[::1]:3001/oidc", "http://[::1]:3001/oidc/jwks"),
        ),
        (
            "ipv4-vs-localhost",
            3,
            logto(
                "http://127.0.0.1:3001/oidc",
                "http://localhost:3001/oidc/jwks",
            ),
        ),
        (
            "custom-port",
            1,
            logto(
                "https://auth.example.com:8443/oidc",
                "https://auth.example.com:8443/oidc/jwks",
            ),
        ),
        ("no-jwks-uri", 0, format!(r#"{{"issuer":"{https}"}}"#)),
        (
            "duplicate-issuer",
            0,
            format!(r#"{{"issuer":"x","issuer":"{https}","jwks_uri":"{https}/jwks"}}"#),
        ),
    ] {
        let mut bytes = vec![pick];
        bytes.extend_from_slice(body.as_bytes());
        write("discovery", name, &bytes);
    }
    // Found by the fuzzer (an oracle fix, not a crate bug): serde_json skips unknown members
    // without validating them, so invalid UTF-8 there does not spoil the document.
    let mut bytes = vec![0];
    bytes.extend_from_slice(logto(https, &format!("{https}/jwks")).as_bytes());
    let at = bytes
        .windows(5)
        .position(|w| w == b"\"iat\"")
        .expect("claims_supported")
        + 3;
    bytes.splice(at..at, [0xff; 8]);
    write("discovery", "invalid-utf8-in-ignored-member", &bytes);
}
