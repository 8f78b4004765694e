//! Step 5 (issuer, time, audience) and the organization rule. They run on every use of a
//! token, whether its signature was just verified or not.

use std::time::{SystemTime, UNIX_EPOCH};

use super::error::{InvalidTokenReason, TokenError};
use crate::claims::AuthInfo;
use crate::settings::ValidationSettings;

/// Logto's three permission models (DESIGN.md): which audience a token must carry, and
/// where its organization comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Model {
    /// A global API resource: `aud` holds a configured resource indicator.
    Global,
    /// Organization (non-API) permissions: `aud` is `urn:logto:organization:<id>`.
    Organization,
    /// An organization-level API resource: `aud` holds a configured resource indicator and
    /// the `organization_id` claim names the organization.
    OrganizationResource,
}

/// Step 5: issuer, time, and the audience `model` asks for.
pub(crate) fn check_claims(
    settings: &ValidationSettings,
    info: &AuthInfo,
    model: Model,
) -> Result<(), InvalidTokenReason> {
    if !settings.issuers.contains(&info.issuer) {
        return Err(InvalidTokenReason::WrongIssuer);
    }
    // A clock set before 1970 fails closed.
    let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
        return Err(InvalidTokenReason::Expired);
    };
    let now = now.as_secs_f64();
    let leeway = settings.leeway.as_secs_f64();
    // RFC 7519 §4.1.4: the token must not be accepted on or after `exp`.
    if now >= info.expires_at as f64 + leeway {
        return Err(InvalidTokenReason::Expired);
    }
    if info.not_before.is_some_and(|nbf| nbf as f64 > now + leeway) {
        return Err(InvalidTokenReason::NotYetValid);
    }
    if info.issued_at.is_some_and(|iat| iat as f64 > now + leeway) {
        return Err(InvalidTokenReason::IssuedInFuture);
    }
    let addressed = match model {
        Model::Global | Model::OrganizationResource => info
            .audience
            .iter()
            .any(|aud| settings.audiences.iter().any(|ours| ours == aud)),
        Model::Organization => info.audience_organization_id().is_some(),
    };
    if !addressed {
        return Err(InvalidTokenReason::WrongAudience);
    }
    Ok(())
}

/// The organization rule, after [`check_claims`] passed for the same `model`: the
/// organization the token is for, which must be `wanted` when the request names one.
///
/// - [`Model::Organization`]: `urn:logto:organization:<wanted>` among the audiences;
/// - [`Model::OrganizationResource`]: the `organization_id` claim, equal to `wanted`;
/// - [`Model::Global`]: no organization; always [`TokenError::WrongOrganization`].
pub(crate) fn organization(
    info: &AuthInfo,
    model: Model,
    wanted: Option<&str>,
) -> Result<String, TokenError> {
    let found = match (model, wanted) {
        (Model::Organization, Some(wanted)) => {
            info.has_organization_audience(wanted).then_some(wanted)
        }
        (Model::Organization, None) => info.audience_organization_id(),
        (Model::OrganizationResource, wanted) => info
            .organization_id
            .as_deref()
            .filter(|claimed| wanted.is_none_or(|wanted| wanted == *claimed)),
        (Model::Global, _) => None,
    };
    found
        .map(str::to_owned)
        .ok_or(TokenError::WrongOrganization)
}
