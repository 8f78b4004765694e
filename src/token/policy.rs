//! [`Policy`]: what a request must prove beyond a valid token — Logto's permission model, the
//! organization the request targets, the scopes, a claim check. Every entry point (the
//! extractors, the layer, `LogtoState::authorize` and the `validate*` methods) builds one and
//! hands it to the one decision, `Validator::decide`.

use std::any::TypeId;
use std::fmt;

use serde::de::DeserializeOwned;

use crate::check::{ClaimCheck, is_quotable};
use crate::claims::{AuthInfo, NoClaims};
use crate::scope::{RequiredScopes, ScopeSet};

/// Logto's three permission models: which audience a token must carry, and where its
/// organization comes from (see the crate docs, "What each extractor accepts").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Model {
    /// A global API resource: `aud` holds a configured resource indicator, and no
    /// `organization_id` claim (unless the settings allow it).
    Global,
    /// Organization (non-API) permissions: `aud` is `urn:logto:organization:<id>`.
    Org,
    /// An organization-level API resource: `aud` holds a configured resource indicator and
    /// the `organization_id` claim names the organization.
    OrgApi,
}

/// The organization a request targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// Any: the token's own organization is accepted.
    Any,
    /// Exactly this one.
    Id(&'a str),
    /// The request should name one but its source could not read it: the decision answers
    /// [`TokenError::OrgUnresolved`](super::TokenError::OrgUnresolved) at the organization
    /// step, and the adapter that read the source answers with the source's own error then
    /// (so that a bad token is still answered 401 first).
    Unresolved,
}

/// A rule on the token's claims: a [`ClaimCheck`], without its type.
#[derive(Clone, Copy)]
pub(crate) struct Check {
    pub(crate) passes: fn(&AuthInfo) -> bool,
    pub(crate) description: &'static str,
}

/// What a request must prove beyond a valid token: the permission model, the organization it
/// targets, the scopes and a claim check. It is what the extractors state in their types, as
/// a value for code outside Axum handlers: [`LogtoState::authorize`](crate::LogtoState::authorize)
/// runs the same decision, with the same errors, as the extractors.
///
/// | policy | extractor |
/// |---|---|
/// | `Policy::global()` | [`Auth`](crate::Auth) |
/// | `Policy::global().scopes::<S>()` | [`RequireScopes<S>`](crate::RequireScopes) |
/// | `Policy::global().check::<K>()` | [`RequireCheck<K>`](crate::RequireCheck) |
/// | `Policy::org(Some(id)).scopes::<S>()` | [`OrgToken<O, S>`](crate::OrgToken) |
/// | `Policy::org_api(Some(id)).scopes::<S>()` | [`OrgApiToken<O, S>`](crate::OrgApiToken) |
///
/// ```
/// use axum_logto::{scopes, AuthError, LogtoState, Policy};
///
/// scopes! {
///     pub ReadDocs = "read:docs";
/// }
///
/// // A WebSocket message handler, a job queue, a tonic interceptor…
/// async fn may_read(logto: &LogtoState, token: &str) -> Result<String, AuthError> {
///     let info = logto.authorize(token, &Policy::global().scopes::<ReadDocs>()).await?;
///     Ok(info.sub().to_owned())
/// }
///
/// async fn may_read_members(logto: &LogtoState, token: &str, org: &str) -> Result<(), AuthError> {
///     logto.authorize(token, &Policy::org(Some(org))).await?;
///     Ok(())
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Policy<'a> {
    pub(crate) model: Model,
    pub(crate) org: Target<'a>,
    pub(crate) scopes: RequiredScopes,
    /// Reads the custom claims an extractor's type asks for: `false` when they do not fit
    /// (401, like any claim of the wrong type).
    pub(crate) claims: Option<fn(&AuthInfo) -> bool>,
    pub(crate) check: Option<Check>,
}

impl fmt::Debug for Policy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("model", &self.model)
            .field("org", &self.org)
            .field("scopes", &self.scopes.names)
            .field("any_of", &self.scopes.any_of)
            .field("check", &self.check.map(|check| check.description))
            .finish_non_exhaustive()
    }
}

impl<'a> Policy<'a> {
    const fn new(model: Model, org: Target<'a>) -> Self {
        Self {
            model,
            org,
            scopes: RequiredScopes::NONE,
            claims: None,
            check: None,
        }
    }

    /// An access token for this API (a global API resource): its `aud` holds a configured
    /// audience and it carries no `organization_id` (see
    /// [`allow_org_level_tokens`](crate::LogtoStateBuilder::allow_org_level_tokens)).
    pub const fn global() -> Self {
        Self::new(Model::Global, Target::Any)
    }

    /// An organization token (`aud` = `urn:logto:organization:<id>`) for the organization
    /// `org`, or for any organization with `None`. An empty id matches no token.
    pub const fn org(org: Option<&'a str>) -> Self {
        Self::new(Model::Org, target(org))
    }

    /// A token for an organization-level API resource: `aud` holds a configured audience and
    /// the `organization_id` claim is `org` (any, with `None`, but present and not empty).
    pub const fn org_api(org: Option<&'a str>) -> Self {
        Self::new(Model::OrgApi, target(org))
    }

    /// Requires the scopes `S` too: a [`scopes!`](crate::scopes) marker, a tuple of them (all
    /// of them), or [`AnyOf`](crate::AnyOf). Default: none.
    pub const fn scopes<S: ScopeSet>(mut self) -> Self {
        self.scopes = RequiredScopes::of::<S>();
        self
    }

    /// Requires that the token passes the claim check `K` (its custom claims are read as
    /// `K::Claims`). Default: none.
    pub const fn check<K: ClaimCheck>(mut self) -> Self {
        const {
            assert!(
                is_quotable(K::DESCRIPTION),
                "a ClaimCheck DESCRIPTION must be printable ASCII without quote or backslash"
            );
        };
        self.claims = Some(reads::<K::Claims>);
        self.check = Some(Check {
            passes: passes::<K>,
            description: K::DESCRIPTION,
        });
        self
    }

    /// Reads the custom claims as `C` too (an extractor's `C`): a token whose claims do not
    /// fit `C` is refused as a token with a claim of the wrong type. [`NoClaims`] reads
    /// nothing.
    pub(crate) fn claims<C: DeserializeOwned + Send + Sync + 'static>(mut self) -> Self {
        if TypeId::of::<C>() != TypeId::of::<NoClaims>() {
            self.claims = Some(reads::<C>);
        }
        self
    }

    /// This policy for the organization `org`.
    pub(crate) const fn targeting<'b>(self, org: Target<'b>) -> Policy<'b> {
        Policy {
            model: self.model,
            org,
            scopes: self.scopes,
            claims: self.claims,
            check: self.check,
        }
    }

    /// What it requires of the token's scopes.
    pub(crate) const fn required_scopes(&self) -> RequiredScopes {
        self.scopes
    }

    /// Whether the organization comes from the request (the organization models).
    pub(crate) const fn targets_org(&self) -> bool {
        !matches!(self.model, Model::Global)
    }
}

const fn target(org: Option<&str>) -> Target<'_> {
    match org {
        Some(id) => Target::Id(id),
        None => Target::Any,
    }
}

fn reads<C: DeserializeOwned + Send + Sync + 'static>(info: &AuthInfo) -> bool {
    info.custom_claims::<C>().is_ok()
}

fn passes<K: ClaimCheck>(info: &AuthInfo) -> bool {
    // The claims were read (and cached in `info`) by `reads::<K::Claims>` just before.
    info.custom_claims::<K::Claims>()
        .is_ok_and(|claims| K::check(info, &claims))
}
