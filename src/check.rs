//! Checks on a token's claims as types: [`ClaimCheck`], used by
//! [`RequireCheck`](crate::RequireCheck), [`LogtoLayer::require_check`](crate::LogtoLayer::require_check)
//! and [`Policy::check`](crate::Policy::check), and the built-in [`MachineOnly`] and
//! [`UserOnly`].

use serde::de::DeserializeOwned;

use crate::claims::{AuthInfo, NoClaims};

/// A rule on a token's claims, as a marker type, so that a handler states it in its signature
/// the way it states scopes: `RequireCheck<IsAdmin>`. A token that fails it gets 403
/// `insufficient_scope` with [`DESCRIPTION`](Self::DESCRIPTION).
///
/// ```
/// use axum_logto::{AuthInfo, ClaimCheck, RequireCheck};
/// use serde::Deserialize;
///
/// /// The roles a Logto "custom JWT" script puts in the token.
/// #[derive(Deserialize)]
/// struct Roles {
///     #[serde(default)]
///     roles: Vec<String>,
/// }
///
/// struct IsAdmin;
///
/// impl ClaimCheck for IsAdmin {
///     type Claims = Roles;
///     const DESCRIPTION: &'static str = "the access token lacks the admin role";
///
///     fn check(_: &AuthInfo, claims: &Roles) -> bool {
///         claims.roles.iter().any(|role| role == "admin")
///     }
/// }
///
/// async fn stats(admin: RequireCheck<IsAdmin>) -> String {
///     format!("{} is an admin with roles {:?}", admin.sub(), admin.custom().roles)
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a claim check",
    label = "not a `ClaimCheck`",
    note = "implement `axum_logto::ClaimCheck` for `{Self}`, or use the built-in `MachineOnly` or `UserOnly`"
)]
pub trait ClaimCheck: Send + Sync + 'static {
    /// The custom claims the check reads ([`NoClaims`] when it reads only what
    /// [`AuthInfo`] has); [`RequireCheck::custom`](crate::RequireCheck::custom) returns them.
    /// A token whose claims do not fit it is 401 `invalid_token`, as any claim of the wrong
    /// type.
    type Claims: DeserializeOwned + Send + Sync + 'static;

    /// The fixed `error_description` of the 403: printable ASCII without `"` or `\` (checked
    /// when the extractor is compiled).
    const DESCRIPTION: &'static str;

    /// Whether the token passes.
    fn check(info: &AuthInfo, claims: &Self::Claims) -> bool;
}

/// A machine-to-machine token only: the application acting for itself (`sub == client_id`).
/// A user's token gets 403.
///
/// ```
/// use axum_logto::{MachineOnly, RequireCheck};
///
/// async fn jobs(machine: RequireCheck<MachineOnly>) -> String {
///     format!("jobs of application {}", machine.sub())
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MachineOnly;

impl ClaimCheck for MachineOnly {
    type Claims = NoClaims;
    const DESCRIPTION: &'static str = "the access token is not a machine-to-machine token";

    fn check(info: &AuthInfo, _: &NoClaims) -> bool {
        info.is_machine_to_machine()
    }
}

/// A user's token only (`sub` is not the `client_id`): a machine-to-machine token gets 403.
///
/// ```
/// use axum_logto::{RequireCheck, UserOnly};
///
/// async fn profile(user: RequireCheck<UserOnly>) -> String {
///     format!("profile of {}", user.sub())
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct UserOnly;

impl ClaimCheck for UserOnly {
    type Claims = NoClaims;
    const DESCRIPTION: &'static str = "the access token is not a user token";

    fn check(info: &AuthInfo, _: &NoClaims) -> bool {
        !info.is_machine_to_machine()
    }
}

/// Whether `text` can stand in a quoted challenge parameter as it is: printable ASCII without
/// `"` or `\`, and not empty.
pub(crate) const fn is_quotable(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 || b > 0x7e || b == b'"' || b == b'\\' {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_quotable() {
        assert!(is_quotable(MachineOnly::DESCRIPTION));
        assert!(is_quotable(UserOnly::DESCRIPTION));
        for bad in ["", "a\"b", "a\\b", "tab\t", "é"] {
            assert!(!is_quotable(bad), "{bad:?}");
        }
    }
}
