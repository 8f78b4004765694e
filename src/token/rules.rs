//! Step 5 (issuer, time, audience) and the organization rule. They run on every use of a
//! token, whether its signature was just verified or not.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::{InvalidTokenReason, TokenError};
use super::policy::{Model, Target};
use crate::claims::{AuthInfo, AuthInfoData, audience_org_id};
use crate::redact::{Redacted, RedactedList};
use crate::settings::ValidationSettings;

/// Step 5: issuer, time, and the audience `model` asks for; for [`Model::Global`], no
/// `organization_id` claim unless the settings allow it.
pub(crate) fn check_claims(
    settings: &ValidationSettings,
    info: &AuthInfo,
    model: Model,
) -> Result<(), TokenError> {
    let info = info.data();
    if !accepted_issuer(settings, info) {
        // Neither value is a secret; the token's comes from the client, so it is redacted.
        tracing::debug!(
            iss = %Redacted(&info.issuer),
            accepted = ?settings.issuers,
            "the token's issuer is not an accepted one"
        );
        return Err(InvalidTokenReason::WrongIssuer.into());
    }
    check_time(settings, info)?;
    if !addressed(settings, info, model) {
        if model != Model::Org {
            warn_near_misses(settings, info);
        }
        tracing::debug!(
            aud = %RedactedList(info.audience.iter().map(String::as_str).collect()),
            accepted = ?settings.audiences,
            organization_model = model == Model::Org,
            "the token's audience is not an accepted one"
        );
        return Err(InvalidTokenReason::WrongAudience.into());
    }
    if !allowed_client(settings, info) {
        tracing::debug!(
            client_id = ?info.client_id.as_deref().map(Redacted),
            "the token was issued to an application this API does not accept"
        );
        return Err(InvalidTokenReason::ClientNotAllowed.into());
    }
    // A token requested with `organization_id` carries the permissions of the user's role in
    // that organization, which an organization admin grants to themselves: on a global route
    // they would be a privilege escalation.
    if model == Model::Global && info.organization_id.is_some() && !settings.allow_org_level_tokens
    {
        return Err(TokenError::OrgLevelToken);
    }
    Ok(())
}

/// Whether a token whose signature verified is worth keeping in the verified-token cache:
/// it passes the rules of [`check_claims`] that do not depend on the route (issuer, time,
/// allowed clients) and is addressed to this API in one of the models. A token refused by
/// them is not cached, so that it is verified afresh (and refused) every time it comes back;
/// the rules still run on every hit.
pub(crate) fn worth_caching(settings: &ValidationSettings, info: &AuthInfo) -> bool {
    let info = info.data();
    accepted_issuer(settings, info)
        && check_time(settings, info).is_ok()
        && allowed_client(settings, info)
        && (addressed(settings, info, Model::Global) || addressed(settings, info, Model::Org))
}

fn accepted_issuer(settings: &ValidationSettings, info: &AuthInfoData) -> bool {
    settings.issuers.contains(&info.issuer)
}

/// Whether the token's audience is the one `model` asks for.
fn addressed(settings: &ValidationSettings, info: &AuthInfoData, model: Model) -> bool {
    match model {
        Model::Global | Model::OrgApi => info
            .audience
            .iter()
            .any(|aud| settings.audiences.iter().any(|ours| ours == aud)),
        Model::Org => audience_org_id(&info.audience).is_some(),
    }
}

/// How many distinct near-miss audiences are warned about, at most (each once).
const NEAR_MISSES_WARNED: usize = 32;

/// Warns, once per distinct value, about a token audience that differs from a configured one
/// only by a trailing slash or by `http` for `https`: the resource indicator registered in
/// Logto and the one given to `audience(..)` must match byte for byte, and without a
/// subscriber at `debug` nothing else would say why every token is refused. The audience
/// comes from a token whose signature verified (step 5 runs after it), and the set is bounded.
fn warn_near_misses(settings: &ValidationSettings, info: &AuthInfoData) {
    static WARNED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    fn loose(url: &str) -> &str {
        let url = url.strip_suffix('/').unwrap_or(url);
        url.strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or(url)
    }
    for aud in &info.audience {
        let Some(ours) = settings
            .audiences
            .iter()
            .find(|ours| *ours != aud && loose(ours) == loose(aud))
        else {
            continue;
        };
        let mut warned = WARNED.lock().unwrap_or_else(PoisonError::into_inner);
        if warned.len() >= NEAR_MISSES_WARNED || warned.contains(aud) {
            continue;
        }
        warned.push(aud.clone());
        tracing::warn!(
            aud = %Redacted(aud),
            configured = %ours,
            "a token's audience differs from the configured one only by a trailing slash or \
             the scheme; audiences are compared byte for byte, so such tokens are refused: \
             make the API resource indicator in Logto and `audience(..)` the same"
        );
    }
}

/// Whether the token's application is accepted (always, unless `allowed_clients` is set).
fn allowed_client(settings: &ValidationSettings, info: &AuthInfoData) -> bool {
    settings.allowed_clients.as_ref().is_none_or(|allowed| {
        info.client_id
            .as_ref()
            .is_some_and(|id| allowed.contains(id))
    })
}

/// `exp`, `nbf`, `iat` and the lifetime against the clock, with the leeway.
fn check_time(
    settings: &ValidationSettings,
    info: &AuthInfoData,
) -> Result<(), InvalidTokenReason> {
    // A clock set before 1970 fails closed.
    let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
        return Err(InvalidTokenReason::Expired);
    };
    let now = now.as_secs_f64();
    check_time_at(settings.leeway, info, now)?;
    match settings.max_token_lifetime {
        Some(max) => check_lifetime_at(settings.leeway, max, info, now),
        None => Ok(()),
    }
}

/// `exp` at most `max` after `iat` (when present) and after `now`, with the leeway.
fn check_lifetime_at(
    leeway: Duration,
    max: Duration,
    info: &AuthInfoData,
    now: f64,
) -> Result<(), InvalidTokenReason> {
    let longest = max.as_secs_f64() + leeway.as_secs_f64();
    let exp = info.expires_at.0;
    let from = info.issued_at.map_or(now, |iat| iat.0.min(now));
    if exp - from > longest || exp - now > longest {
        return Err(InvalidTokenReason::LifetimeTooLong);
    }
    Ok(())
}

/// `exp`, `nbf` and `iat` against `now` (seconds since the epoch), with the leeway, exact to
/// the fraction of a second (RFC 7519 §4.1.4: not accepted on or after `exp`).
fn check_time_at(
    leeway: Duration,
    info: &AuthInfoData,
    now: f64,
) -> Result<(), InvalidTokenReason> {
    let leeway = leeway.as_secs_f64();
    if now >= info.expires_at.0 + leeway {
        return Err(InvalidTokenReason::Expired);
    }
    if info.not_before.is_some_and(|nbf| nbf.0 > now + leeway) {
        return Err(InvalidTokenReason::NotYetValid);
    }
    if info.issued_at.is_some_and(|iat| iat.0 > now + leeway) {
        return Err(InvalidTokenReason::IssuedInFuture);
    }
    Ok(())
}

/// The organization rule, after [`check_claims`] passed for the same `model`: the
/// organization the token is for, which must be `target` when the request names one.
///
/// - [`Model::Org`]: `urn:logto:organization:<id>` among the audiences;
/// - [`Model::OrgApi`]: the `organization_id` claim, present and not empty
///   ([`TokenError::NotForOrg`] otherwise);
/// - [`Model::Global`]: no organization; always [`TokenError::WrongOrg`].
pub(crate) fn organization(
    info: &AuthInfo,
    model: Model,
    target: Target<'_>,
) -> Result<String, TokenError> {
    let wanted = match target {
        Target::Any => None,
        Target::Id(id) => Some(id),
        Target::Unresolved => return Err(TokenError::OrgUnresolved),
    };
    let found = match (model, wanted) {
        (Model::Org, Some(wanted)) => info.has_org_audience(wanted).then_some(wanted),
        (Model::Org, None) => audience_org_id(info.audiences()),
        (Model::OrgApi, wanted) => {
            let Some(claimed) = info
                .data()
                .organization_id
                .as_deref()
                .filter(|claimed| !claimed.is_empty())
            else {
                return Err(TokenError::NotForOrg);
            };
            wanted
                .is_none_or(|wanted| wanted == claimed)
                .then_some(claimed)
        }
        (Model::Global, _) => None,
    };
    found.map(str::to_owned).ok_or(TokenError::WrongOrg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{NumericDate, Scopes};

    fn info(exp: f64, nbf: Option<f64>, iat: Option<f64>) -> AuthInfoData {
        AuthInfoData {
            sub: "s".into(),
            client_id: None,
            organization_id: None,
            scopes: Scopes::default(),
            audience: vec!["a".into()],
            issuer: "i".into(),
            jti: None,
            issued_at: iat.map(NumericDate),
            expires_at: NumericDate(exp),
            not_before: nbf.map(NumericDate),
            actor: None,
            claims: serde_json::Map::new(),
            custom: Default::default(),
            revocations_seen: Default::default(),
        }
    }

    #[test]
    fn the_lifetime_is_bounded_when_asked() {
        let hour = Duration::from_secs(3600);
        let none = Duration::ZERO;
        let now = 1_000_000.0;
        let check =
            |exp: f64, iat: Option<f64>| check_lifetime_at(none, hour, &info(exp, None, iat), now);
        assert_eq!(check(now + 3600.0, Some(now)), Ok(()));
        assert_eq!(
            check(now + 3600.5, Some(now)),
            Err(InvalidTokenReason::LifetimeTooLong)
        );
        // Without `iat`, and with a forged one, `exp` is bounded from now.
        assert_eq!(check(1e308, None), Err(InvalidTokenReason::LifetimeTooLong));
        assert_eq!(
            check(now + 7200.0, Some(now + 5000.0)),
            Err(InvalidTokenReason::LifetimeTooLong)
        );
        // An old token close to its end passes; one issued for two hours does not.
        assert_eq!(check(now + 600.0, Some(now - 3000.0)), Ok(()));
        assert_eq!(
            check(now + 600.0, Some(now - 7000.0)),
            Err(InvalidTokenReason::LifetimeTooLong)
        );
        assert_eq!(
            check_lifetime_at(
                Duration::from_secs(60),
                hour,
                &info(now + 3650.0, None, Some(now)),
                now
            ),
            Ok(())
        );
    }

    #[test]
    fn time_is_compared_without_rounding() {
        let none = Duration::ZERO;
        let now = 1000.0;
        // Half a second either side of `now`: rounding down would have accepted these.
        assert_eq!(
            check_time_at(none, &info(2000.0, Some(1000.5), None), now),
            Err(InvalidTokenReason::NotYetValid)
        );
        assert_eq!(
            check_time_at(none, &info(2000.0, None, Some(1000.5)), now),
            Err(InvalidTokenReason::IssuedInFuture)
        );
        assert_eq!(
            check_time_at(none, &info(1000.0, None, None), now),
            Err(InvalidTokenReason::Expired)
        );
        assert_eq!(
            check_time_at(none, &info(1000.5, Some(1000.0), Some(1000.0)), now),
            Ok(())
        );
        // The leeway, exactly.
        let leeway = Duration::from_millis(500);
        assert_eq!(
            check_time_at(leeway, &info(2000.0, Some(1000.5), Some(1000.5)), now),
            Ok(())
        );
        assert_eq!(
            check_time_at(leeway, &info(2000.0, Some(1000.501), None), now),
            Err(InvalidTokenReason::NotYetValid)
        );
        assert_eq!(
            check_time_at(leeway, &info(999.5, None, None), now),
            Err(InvalidTokenReason::Expired)
        );
        assert_eq!(
            check_time_at(leeway, &info(999.501, None, None), now),
            Ok(())
        );
    }
}
