//! The scenario on the shared Logto, set up once per test binary through the Management API as
//! a person would in the console: an API resource with scopes (the demo's), another resource,
//! user and machine-to-machine roles, applications, users, organizations with organization
//! roles of both types, and a JWT customizer that puts `roles` into access tokens.
//!
//! Later suites in this binary set up their own objects next to these (with their own names:
//! organization scope names are unique in a tenant); nothing here changes after set-up.

use std::sync::OnceLock;

use serde_json::json;

use crate::harness::{self, Logto};
use crate::management::{App, Resource};
use crate::oidc::{self, REDIRECT_URI, SignIn, TokenAnswer, UserTokens};

/// The API the suite protects: the demo's default audience, with the demo's scopes.
pub(crate) const API: &str = "https://api.example.com";
pub(crate) const API_SCOPES: [&str; 5] = [
    "read:docs",
    "write:docs",
    "delete:docs",
    "admin",
    "read:reports",
];
/// Another API resource of the same tenant.
pub(crate) const OTHER: &str = "https://other.example.com";

/// The user access-token customizer: `roles`, the names of the user's (global) roles, as the
/// README's custom-claims recipe reads them; and `e2e_level`, a number, for the type check.
pub(crate) const USER_CLAIMS_SCRIPT: &str = r"const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {
  const roles = (context?.user?.roles ?? []).map((role) => role.name).sort();
  return { roles, e2e_level: 3 };
};";

/// The machine-to-machine customizer: `roles` from the application's custom data (what an
/// operator sets in the console), since a machine-to-machine role is not in the context.
pub(crate) const M2M_CLAIMS_SCRIPT: &str = r"const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {
  return { roles: context?.application?.customData?.roles ?? [], e2e_level: 3 };
};";

/// A user and its password (random per run).
#[derive(Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) username: String,
    pub(crate) password: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What the set-up created.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) logto: &'static Logto,
    pub(crate) api: Resource,
    pub(crate) other: Resource,
    /// Machine-to-machine: roles `m2m-docs` (read, write, delete docs) and `m2m-other` (read
    /// docs of `OTHER`); custom data `roles: ["admin"]`; in `acme` as `robot`.
    pub(crate) batch: App,
    /// Machine-to-machine: role `m2m-reader` (read docs); custom data `roles: ["viewer"]`.
    pub(crate) reader: App,
    /// Machine-to-machine without roles or custom data.
    pub(crate) plain: App,
    /// A traditional web application for users' sign-in (redirect `REDIRECT_URI`), allowed
    /// to exchange tokens.
    pub(crate) web: App,
    /// Roles `admin` (admin, delete docs; read docs of `OTHER`) and `editor` (read, write
    /// docs); in `acme` as `member`.
    pub(crate) alice: User,
    /// Role `editor`; in `acme` as `inviter`, in `globex` as `member`.
    pub(crate) bob: User,
    /// No role, in no organization.
    pub(crate) carol: User,
    pub(crate) acme: String,
    pub(crate) globex: String,
}

/// The scenario, set up on first use; `None` when the suite is skipped.
pub(crate) fn world() -> Option<&'static World> {
    static WORLD: OnceLock<Result<World, String>> = OnceLock::new();
    let logto = harness::shared()?;
    match WORLD.get_or_init(|| harness::block_on_own_runtime(set_up(logto))) {
        Ok(world) => Some(world),
        Err(error) => panic!("setting up the scenario on the shared Logto failed: {error}"),
    }
}

/// A random password that passes Logto's default policy.
pub(crate) fn password() -> String {
    let mut bytes = [0u8; 12];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("Pw-{hex}-x9")
}

async fn set_up(logto: &'static Logto) -> World {
    let m = &logto.management;
    let api = m.create_resource(API, &API_SCOPES).await;
    let other = m.create_resource(OTHER, &["read:docs"]).await;

    let editor = m
        .create_role(
            "editor",
            "User",
            &api.scope_ids(&["read:docs", "write:docs"]),
        )
        .await;
    let mut admin_scopes = api.scope_ids(&["admin", "delete:docs"]);
    admin_scopes.push(other.scope("read:docs"));
    let admin = m.create_role("admin", "User", &admin_scopes).await;
    let m2m_docs = m
        .create_role(
            "m2m-docs",
            "MachineToMachine",
            &api.scope_ids(&["read:docs", "write:docs", "delete:docs"]),
        )
        .await;
    let m2m_other = m
        .create_role("m2m-other", "MachineToMachine", &[other.scope("read:docs")])
        .await;
    let m2m_reader = m
        .create_role(
            "m2m-reader",
            "MachineToMachine",
            &api.scope_ids(&["read:docs"]),
        )
        .await;

    let batch = m
        .create_m2m_app(
            "batch",
            &[m2m_docs, m2m_other],
            json!({ "customData": { "roles": ["admin"] } }),
        )
        .await;
    let reader = m
        .create_m2m_app(
            "reader",
            &[m2m_reader],
            json!({ "customData": { "roles": ["viewer"] } }),
        )
        .await;
    let plain = m.create_m2m_app("plain", &[], json!({})).await;
    let web = m
        .create_app(
            "web",
            "Traditional",
            json!({
                "oidcClientMetadata": { "redirectUris": [REDIRECT_URI], "postLogoutRedirectUris": [] },
                "customClientMetadata": { "allowTokenExchange": true },
            }),
        )
        .await;

    let mut users = Vec::new();
    for (name, roles) in [
        ("alice", vec![admin.clone(), editor.clone()]),
        ("bob", vec![editor.clone()]),
        ("carol", vec![]),
    ] {
        let password = password();
        let id = m.create_user(name, &password, &roles).await;
        users.push(User {
            id,
            username: name.to_owned(),
            password,
        });
    }
    let [alice, bob, carol] = <[User; 3]>::try_from(users).unwrap();

    let read_members = m.create_organization_scope("read:members").await;
    let invite_members = m.create_organization_scope("invite:members").await;
    let member = m
        .create_organization_role(
            "member",
            "User",
            std::slice::from_ref(&read_members),
            &[api.scope("read:reports")],
        )
        .await;
    let inviter = m
        .create_organization_role(
            "inviter",
            "User",
            &[read_members.clone(), invite_members],
            &[],
        )
        .await;
    let robot = m
        .create_organization_role(
            "robot",
            "MachineToMachine",
            &[read_members],
            &[api.scope("read:reports")],
        )
        .await;
    let acme = m.create_organization("acme").await;
    let globex = m.create_organization("globex").await;
    m.add_organization_user(&acme, &alice.id, std::slice::from_ref(&member))
        .await;
    m.add_organization_user(&acme, &bob.id, &[inviter]).await;
    m.add_organization_user(&globex, &bob.id, &[member]).await;
    m.add_organization_app(&acme, &batch.id, &[robot]).await;

    m.put(
        "/configs/jwt-customizer/access-token",
        json!({ "script": USER_CLAIMS_SCRIPT }),
    )
    .await;
    m.put(
        "/configs/jwt-customizer/client-credentials",
        json!({ "script": M2M_CLAIMS_SCRIPT }),
    )
    .await;

    World {
        logto,
        api,
        other,
        batch,
        reader,
        plain,
        web,
        alice,
        bob,
        carol,
        acme,
        globex,
    }
}

/// Every scope a user's sign-in asks for in these tests: the API's, the organizations'.
pub(crate) const USER_SCOPES: [&str; 9] = [
    "profile",
    oidc::ORGANIZATIONS_SCOPE,
    "read:docs",
    "write:docs",
    "delete:docs",
    "admin",
    "read:reports",
    "read:members",
    "invite:members",
];

impl World {
    /// A machine-to-machine token of `app` for `API` with `scope`.
    pub(crate) async fn m2m_token(&self, app: &App, scope: &str) -> String {
        oidc::client_credentials(self.logto, app, Some(API), scope, None)
            .await
            .access_token()
    }

    /// `client_credentials` of `app`, any parameters.
    pub(crate) async fn client_credentials(
        &self,
        app: &App,
        resource: Option<&str>,
        scope: &str,
        organization: Option<&str>,
    ) -> TokenAnswer {
        oidc::client_credentials(self.logto, app, resource, scope, organization).await
    }

    /// `user` signed in to `web`, asking for `USER_SCOPES` and the resources `API` and
    /// organizations; the access token is for `API`.
    pub(crate) async fn sign_in(&self, user: &User) -> UserTokens {
        self.sign_in_with(
            user,
            &SignIn {
                scopes: USER_SCOPES.to_vec(),
                resources: vec![API, OTHER, oidc::ORGANIZATIONS_RESOURCE],
                token_resource: Some(API),
            },
        )
        .await
    }

    /// `user` signed in to `web` with `request`.
    pub(crate) async fn sign_in_with(&self, user: &User, request: &SignIn<'_>) -> UserTokens {
        oidc::sign_in(
            self.logto,
            &self.web,
            &user.username,
            &user.password,
            request,
        )
        .await
    }

    /// The `refresh_token` grant of `web`.
    pub(crate) async fn refresh(
        &self,
        refresh_token: &str,
        resource: Option<&str>,
        organization: Option<&str>,
    ) -> TokenAnswer {
        oidc::refresh(self.logto, &self.web, refresh_token, resource, organization).await
    }
}

/// The README's custom-claims recipe shows the script the suite installs (less the suite's own
/// `e2e_level`), so the recipe is the one tested against Logto.
#[test]
fn the_readmes_customizer_is_the_one_installed() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let recipe = readme
        .split("### Custom claims")
        .nth(1)
        .and_then(|section| section.split("```js\n").nth(1))
        .and_then(|block| block.split("\n```").next())
        .expect("a js block in README's custom-claims recipe");
    assert_eq!(recipe, USER_CLAIMS_SCRIPT.replace(", e2e_level: 3", ""));
}
