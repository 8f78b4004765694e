//! [`Revocation`]: which tokens stop working, from when.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::claims::AuthInfo;

/// A revocation rule: the tokens it names that were issued before a moment stop working, even
/// though their signature and expiry are fine. Logto's access tokens keep the permissions they
/// were issued with until they expire (an hour by default); a rule is how an API stops one
/// early — from a Logto webhook (see [`LogtoState::webhook`](crate::LogtoState::webhook))
/// or by hand ([`LogtoState::revoke`](crate::LogtoState::revoke)).
///
/// "Issued before" reads the token's `iat`, which has whole seconds: a token issued in the
/// same second as the rule's moment counts as issued before it (a client that fetched a new
/// token at once gets one that works a second later). A token without `iat` counts as issued
/// before any moment.
///
/// ```
/// use std::time::SystemTime;
/// use axum_logto::Revocation;
///
/// let now = SystemTime::now();
/// let suspended = Revocation::subject("user-1", now);
/// let left = Revocation::subject_in_org("user-1", "org-1", now);
/// let everything = Revocation::all(now);
/// # let _ = (suspended, left, everything);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Revocation {
    /// Every token of the subject `sub` (a user, or for a machine-to-machine token the
    /// application).
    Subject {
        /// The subject.
        sub: String,
        /// Seconds since the Unix epoch.
        before: f64,
    },
    /// Every token issued to the application `client_id`.
    Client {
        /// The application.
        client_id: String,
        /// Seconds since the Unix epoch.
        before: f64,
    },
    /// The subject's tokens for one organization: organization tokens and organization-level
    /// API tokens.
    SubjectInOrg {
        /// The subject.
        sub: String,
        /// The organization.
        org_id: String,
        /// Seconds since the Unix epoch.
        before: f64,
    },
    /// Every token for the organization, whoever it is for.
    Org {
        /// The organization.
        org_id: String,
        /// Seconds since the Unix epoch.
        before: f64,
    },
    /// Every token (an epoch), for changes whose effect cannot be narrowed.
    All {
        /// Seconds since the Unix epoch.
        before: f64,
    },
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

impl Revocation {
    /// The subject's tokens issued before `before`.
    pub fn subject(sub: impl Into<String>, before: SystemTime) -> Self {
        Self::Subject {
            sub: sub.into(),
            before: seconds(before),
        }
    }

    /// The application's tokens issued before `before`.
    pub fn client(client_id: impl Into<String>, before: SystemTime) -> Self {
        Self::Client {
            client_id: client_id.into(),
            before: seconds(before),
        }
    }

    /// The subject's tokens for the organization issued before `before`.
    pub fn subject_in_org(
        sub: impl Into<String>,
        org_id: impl Into<String>,
        before: SystemTime,
    ) -> Self {
        Self::SubjectInOrg {
            sub: sub.into(),
            org_id: org_id.into(),
            before: seconds(before),
        }
    }

    /// Every token for the organization issued before `before`.
    pub fn org(org_id: impl Into<String>, before: SystemTime) -> Self {
        Self::Org {
            org_id: org_id.into(),
            before: seconds(before),
        }
    }

    /// Every token issued before `before`.
    pub fn all(before: SystemTime) -> Self {
        Self::All {
            before: seconds(before),
        }
    }

    /// The moment: tokens issued before it are revoked.
    pub fn before(&self) -> SystemTime {
        let (Self::Subject { before, .. }
        | Self::Client { before, .. }
        | Self::SubjectInOrg { before, .. }
        | Self::Org { before, .. }
        | Self::All { before }) = self;
        UNIX_EPOCH + Duration::try_from_secs_f64(before.max(0.0)).unwrap_or(Duration::ZERO)
    }

    /// The moment in seconds since the epoch.
    pub(crate) fn at(&self) -> f64 {
        let (Self::Subject { before, .. }
        | Self::Client { before, .. }
        | Self::SubjectInOrg { before, .. }
        | Self::Org { before, .. }
        | Self::All { before }) = self;
        *before
    }

    /// Whether the rule names something: no empty subject, application or organization, and a
    /// finite moment (one from the wire is checked before it is applied).
    pub(crate) fn is_sound(&self) -> bool {
        let named = match self {
            Self::Subject { sub, .. } => !sub.is_empty(),
            Self::Client { client_id, .. } => !client_id.is_empty(),
            Self::SubjectInOrg { sub, org_id, .. } => !sub.is_empty() && !org_id.is_empty(),
            Self::Org { org_id, .. } => !org_id.is_empty(),
            Self::All { .. } => true,
        };
        named && self.at().is_finite()
    }
}

/// Whether a token issued at `iat` (whole seconds; `None`: unknown) counts as issued before
/// `before`: in an earlier second, or in the same one (it cannot be told apart).
pub(crate) fn issued_before(iat: Option<f64>, before: f64) -> bool {
    iat.is_none_or(|iat| iat <= before.floor())
}

/// What of a token the rules look at.
pub(crate) struct Subject<'a> {
    pub(crate) sub: &'a str,
    pub(crate) client_id: Option<&'a str>,
    pub(crate) org_id: Option<&'a str>,
    pub(crate) iat: Option<f64>,
}

impl<'a> Subject<'a> {
    pub(crate) fn of(info: &'a AuthInfo) -> Self {
        Self {
            sub: info.sub(),
            client_id: info.client_id(),
            org_id: info.org_id(),
            iat: info.data().issued_at.map(|iat| iat.0),
        }
    }
}
