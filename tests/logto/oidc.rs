//! Tokens from Logto's OIDC endpoints, as a client gets them: `client_credentials`, a user's
//! sign-in without a browser (authorization code + PKCE, the sign-in page's Experience API in
//! between), the `refresh_token` grant (organizations, other resources), and token exchange.
// The fixture serves the suites that later join this binary too: not every helper is used yet.

use std::collections::BTreeMap;

use aws_lc_rs::{digest, rand};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use url::Url;

use crate::harness::Logto;
use crate::management::{App, http_client};

/// The scope that asks for organization tokens, and the resource Logto's SDKs add with it.
pub(crate) const ORGANIZATIONS_SCOPE: &str = "urn:logto:scope:organizations";
pub(crate) const ORGANIZATIONS_RESOURCE: &str = "urn:logto:resource:organizations";

/// Where the sign-in application redirects (nothing listens: the code is read from the
/// redirect's `Location`).
pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// A token endpoint's answer: its status and JSON body.
#[derive(Debug)]
pub(crate) struct TokenAnswer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl TokenAnswer {
    /// The access token; panics with Logto's error when the request failed.
    pub(crate) fn access_token(&self) -> String {
        self.expect("access_token")
    }

    /// `member` of a successful answer (`refresh_token`, `id_token`…).
    pub(crate) fn expect(&self, member: &str) -> String {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "the token request failed: {} {}",
            self.body["error"],
            self.body["error_description"]
        );
        self.body[member]
            .as_str()
            .unwrap_or_else(|| panic!("no {member} in the token response"))
            .to_owned()
    }

    /// Logto's `error` code of a failed request.
    pub(crate) fn error(&self) -> &str {
        assert_ne!(self.status, StatusCode::OK, "the token request succeeded");
        self.body["error"].as_str().unwrap_or_default()
    }
}

/// POSTs `form` to the token endpoint, authenticated as `app` (HTTP Basic when it has a
/// secret, `client_id` in the form otherwise).
pub(crate) async fn token_request(logto: &Logto, app: &App, form: &[(&str, &str)]) -> TokenAnswer {
    let mut request = http_client().post(logto.token_endpoint());
    let mut form: Vec<(&str, &str)> = form.to_vec();
    match &app.secret {
        Some(secret) => request = request.basic_auth(&app.id, Some(secret)),
        None => form.push(("client_id", &app.id)),
    }
    let response = request.form(&form).send().await.expect("a token request");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    TokenAnswer { status, body }
}

/// `client_credentials` for `app`: `resource` and `organization_id` optional.
pub(crate) async fn client_credentials(
    logto: &Logto,
    app: &App,
    resource: Option<&str>,
    scope: &str,
    organization: Option<&str>,
) -> TokenAnswer {
    let mut form = vec![("grant_type", "client_credentials"), ("scope", scope)];
    if let Some(resource) = resource {
        form.push(("resource", resource));
    }
    if let Some(organization) = organization {
        form.push(("organization_id", organization));
    }
    token_request(logto, app, &form).await
}

/// The `refresh_token` grant: a new access token for `resource` and/or `organization`.
pub(crate) async fn refresh(
    logto: &Logto,
    app: &App,
    refresh_token: &str,
    resource: Option<&str>,
    organization: Option<&str>,
) -> TokenAnswer {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(resource) = resource {
        form.push(("resource", resource));
    }
    if let Some(organization) = organization {
        form.push(("organization_id", organization));
    }
    token_request(logto, app, &form).await
}

/// What a user's sign-in asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct SignIn<'a> {
    /// Scopes beyond `openid offline_access` (API scopes, organization scopes, `profile`…).
    pub(crate) scopes: Vec<&'a str>,
    /// The resources of the authorization request (RFC 8707).
    pub(crate) resources: Vec<&'a str>,
    /// The resource of the code exchange, for a JWT access token; `None`: an opaque one.
    pub(crate) token_resource: Option<&'a str>,
}

/// A signed-in user's tokens.
#[derive(Debug)]
pub(crate) struct UserTokens {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) id_token: String,
    /// The whole token response (`scope`, `expires_in`…).
    pub(crate) body: Value,
}

/// The cookies of one browser session.
#[derive(Debug, Default)]
struct Cookies(BTreeMap<String, String>);

impl Cookies {
    fn store(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all(SET_COOKIE) {
            let pair = header
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if value.is_empty() {
                self.0.remove(name.trim());
            } else {
                self.0.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn random_urlsafe(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf).unwrap();
    URL_SAFE_NO_PAD.encode(buf)
}

/// Signs `username` in to `app` without a browser: `/oidc/auth` with PKCE, the Experience API
/// (password), Logto's consent step, the redirect with the code, and the code exchange.
pub(crate) async fn sign_in(
    logto: &Logto,
    app: &App,
    username: &str,
    password: &str,
    request: &SignIn<'_>,
) -> UserTokens {
    let http = http_client();
    let mut cookies = Cookies::default();
    let verifier = random_urlsafe(32);
    let challenge = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    let state = random_urlsafe(12);
    let scope = ["openid", "offline_access"]
        .into_iter()
        .chain(request.scopes.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let mut authorize = Url::parse(&format!("{}/oidc/auth", logto.endpoint)).unwrap();
    {
        let mut query = authorize.query_pairs_mut();
        query
            .append_pair("client_id", &app.id)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("response_type", "code")
            .append_pair("scope", &scope)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("prompt", "consent");
        for resource in &request.resources {
            query.append_pair("resource", resource);
        }
    }

    // The authorization request: Logto sends the browser to its sign-in page.
    let response = http.get(authorize.as_str()).send().await.unwrap();
    cookies.store(&response);
    let first = location(&response);
    assert!(
        response.status() == StatusCode::SEE_OTHER && first.starts_with("/sign-in"),
        "the authorization request answered {} to {first:?}",
        response.status()
    );

    // What the sign-in page does: the Experience API.
    let experience = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{}/api/experience{path}", logto.endpoint))
            .header(COOKIE, cookies.header())
    };
    let answer = experience(reqwest::Method::PUT, "")
        .json(&json!({ "interactionEvent": "SignIn" }))
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_success(),
        "PUT /api/experience: {}",
        answer.status()
    );
    let answer = experience(reqwest::Method::POST, "/verification/password")
        .json(&json!({
            "identifier": { "type": "username", "value": username },
            "password": password,
        }))
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let verification: Value = answer.json().await.unwrap_or(Value::Null);
    assert!(
        status.is_success(),
        "password verification: {status} {verification}"
    );
    let answer = experience(reqwest::Method::POST, "/identification")
        .json(&json!({ "verificationId": verification["verificationId"] }))
        .send()
        .await
        .unwrap();
    let status = answer.status();
    assert!(
        status.is_success(),
        "identification: {status} {}",
        answer.text().await.unwrap_or_default()
    );
    let answer = experience(reqwest::Method::POST, "/submit")
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let submitted: Value = answer.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "submit: {status} {submitted}");
    let mut next = submitted["redirectTo"]
        .as_str()
        .expect("redirectTo")
        .to_owned();

    // Back to /oidc/auth, Logto's consent (automatic for first-party apps), until the redirect
    // to the application with the code.
    let code = 'follow: {
        for _ in 0..10 {
            let url = Url::parse(&logto.endpoint).unwrap().join(&next).unwrap();
            if url.as_str().starts_with(REDIRECT_URI) {
                let query: BTreeMap<_, _> = url.query_pairs().into_owned().collect();
                assert_eq!(query.get("state"), Some(&state), "{query:?}");
                break 'follow query
                    .get("code")
                    .unwrap_or_else(|| panic!("no code in the redirect: {query:?}"))
                    .clone();
            }
            let response = http
                .get(url.as_str())
                .header(COOKIE, cookies.header())
                .send()
                .await
                .unwrap();
            cookies.store(&response);
            assert!(
                response.status().is_redirection(),
                "GET {} answered {}",
                url.path(),
                response.status()
            );
            next = location(&response);
        }
        panic!("no redirect to the application after 10 hops");
    };

    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
    ];
    if let Some(resource) = request.token_resource {
        form.push(("resource", resource));
    }
    let answer = token_request(logto, app, &form).await;
    UserTokens {
        access_token: answer.access_token(),
        refresh_token: answer.expect("refresh_token"),
        id_token: answer.expect("id_token"),
        body: answer.body,
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// RFC 8693 token exchange at the token endpoint, authenticated as `app`.
pub(crate) async fn token_exchange(logto: &Logto, app: &App, form: &[(&str, &str)]) -> TokenAnswer {
    let mut form = form.to_vec();
    form.push((
        "grant_type",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    ));
    token_request(logto, app, &form).await
}

/// A JWT's header (`index` 0) or payload (1), decoded without any check.
pub(crate) fn decode(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}
