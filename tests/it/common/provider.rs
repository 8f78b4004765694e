//! A real `oidc-provider` (panva), the library Logto is built on, configured like Logto
//! (`tests/provider/server.mjs`), for the end-to-end tests (`tests/e2e_provider.rs`,
//! `tests/e2e_mcp.rs`): started on a free loopback port, tokens from its token endpoint, and its
//! admin API to rotate keys.
//!
//! Needs Node.js; `npm ci` runs in `tests/provider` on first use when `node_modules` is missing.

use std::io::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::API;

pub(crate) fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("provider")
}

/// `npm ci` once per test process, when the provider's dependencies are not installed.
/// Whether Node.js is here to run oidc-provider. Without it the end-to-end tests are skipped,
/// with one line on stderr saying how to run them; with `CI` set they are required, and a
/// missing Node.js fails them.
pub(crate) fn node_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let found = Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success());
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set, and the end-to-end tests need Node.js (`node` on PATH) to run \
                 oidc-provider: install Node.js 20 or later"
            );
            // Straight to stderr, past the test harness's capture: one line, once.
            let _ = writeln!(
                std::io::stderr(),
                "note: skipping the end-to-end tests against oidc-provider: Node.js is not on \
                 PATH (install Node.js 20+ to run them; with CI set they are required)"
            );
        }
        found
    })
}

pub(crate) fn ensure_installed() {
    static INSTALL: Mutex<bool> = Mutex::new(false);
    let mut done = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if *done {
        return;
    }
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "the end-to-end tests need Node.js (`node` on PATH) to run oidc-provider: {node:?}"
    );
    if !provider_dir()
        .join("node_modules")
        .join("oidc-provider")
        .exists()
    {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(provider_dir())
            .stdout(Stdio::null())
            .status()
            .expect("run `npm ci` in tests/provider (is npm installed?)");
        assert!(status.success(), "`npm ci` in tests/provider failed");
    }
    *done = true;
}

/// A running `oidc-provider`; killed when dropped (and it exits by itself when its stdin
/// closes, so it does not outlive a test process that dies).
pub(crate) struct Provider {
    child: Child,
    _stdin: ChildStdin,
    pub(crate) base: String,
    pub(crate) port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Provider {
    pub(crate) fn start() -> Self {
        Self::start_on(0)
    }

    pub(crate) fn start_on(port: u16) -> Self {
        Self::start_with(port, None)
    }

    /// Another instance of one tenant: same signing keys (shared through `keys_file`), its
    /// own issuer (its own port), as behind a custom domain.
    pub(crate) fn start_sharing_keys(keys_file: &Path) -> Self {
        Self::start_with(0, Some(keys_file))
    }

    pub(crate) fn start_with(port: u16, keys_file: Option<&Path>) -> Self {
        ensure_installed();
        let mut command = Command::new("node");
        if let Some(file) = keys_file {
            command.env("PROVIDER_KEYS_FILE", file);
        }
        let mut child = command
            .arg("server.mjs")
            .current_dir(provider_dir())
            .env("PORT", port.to_string())
            .env_remove("PROVIDER_IGNORE_STDIN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start node tests/provider/server.mjs");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        // Drain stderr so the provider never blocks on a full pipe; keep it for diagnostics.
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(base) = line.strip_prefix("ready ") {
                    let _ = tx.send(base.to_owned());
                }
            }
        });
        let mut provider = Self {
            child,
            _stdin: stdin,
            base: String::new(),
            port: 0,
            stderr,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(base) => {
                provider.port = base
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("a port");
                provider.base = base;
            }
            Err(_) => panic!(
                "oidc-provider did not print its ready line within 30 s; stderr:\n{}",
                provider.stderr.lock().unwrap()
            ),
        }
        provider
    }

    pub(crate) fn issuer(&self) -> String {
        format!("{}/oidc", self.base)
    }

    /// A `client_credentials` access token: `resource` and `organization_id` optional.
    pub(crate) async fn token(
        &self,
        resource: Option<&str>,
        scope: &str,
        organization: Option<&str>,
    ) -> String {
        let mut form = vec![("grant_type", "client_credentials"), ("scope", scope)];
        if let Some(resource) = resource {
            form.push(("resource", resource));
        }
        if let Some(organization) = organization {
            form.push(("organization_id", organization));
        }
        let response = reqwest::Client::new()
            .post(format!("{}/oidc/token", self.base))
            .basic_auth("test-client", Some("test-secret"))
            .form(&form)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("token request");
        let status = response.status();
        let body: Value = response.json().await.expect("token response is JSON");
        assert_eq!(
            status,
            StatusCode::OK,
            "token request {form:?} failed: {body}"
        );
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub(crate) async fn api_token(&self, scope: &str) -> String {
        self.token(Some(API), scope, None).await
    }

    /// A `client_credentials` token for `API` of the application `test-client-post`, which
    /// sends its credentials in the form body (and whose custom `roles` are `["viewer"]`).
    pub(crate) async fn api_token_of_the_post_client(&self, scope: &str) -> String {
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("resource", API),
            ("client_id", "test-client-post"),
            ("client_secret", "test-secret"),
        ];
        let response = reqwest::Client::new()
            .post(format!("{}/oidc/token", self.base))
            .form(&form)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("token request");
        let body: Value = response.json().await.expect("token response is JSON");
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {body}"))
            .to_owned()
    }

    pub(crate) async fn admin(&self, action: &str, query: &str) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}/admin/keys/{action}?{query}", self.base))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("admin request");
        assert!(
            response.status().is_success(),
            "admin {action}?{query}: {}",
            response.status()
        );
        response.json().await.expect("admin response is JSON")
    }

    /// Publishes a new key of `kty` (EC or RSA) and returns its kid.
    pub(crate) async fn publish(&self, kty: &str) -> String {
        self.admin("publish", &format!("kty={kty}")).await["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) async fn sign_with(&self, kid: &str) {
        self.admin("sign", &format!("kid={kid}")).await;
    }

    pub(crate) async fn drop_key(&self, kid: &str) {
        self.admin("drop", &format!("kid={kid}")).await;
    }

    pub(crate) async fn signing_kid(&self) -> String {
        let keys: Value = reqwest::get(format!("{}/admin/keys", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        keys["signing"].as_str().unwrap().to_owned()
    }

    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.stop();
    }
}
