//! [`TokenRequest`]: what a token is asked for — a resource, scopes, an organization.

/// What to ask the token endpoint for: a token for `resource` (an API resource indicator; RFC
/// 8707), with `scopes`, optionally for an organization (`organization_id`). Tokens are cached
/// per request (the scopes in any order).
///
/// ```
/// use axum_logto::TokenRequest;
///
/// let users = TokenRequest::resource("https://default.logto.app/api").scopes(["all"]);
/// let reports = TokenRequest::resource("https://reports.example.com")
///     .scopes(["read:reports"])
///     .org("org-1");
/// let org_token = TokenRequest::org_token("org-1"); // organization permissions, no resource
/// # let _ = (users, reports, org_token);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[must_use]
pub struct TokenRequest {
    pub(crate) resource: Option<String>,
    /// Sorted, without duplicates: the cache key does not depend on their order.
    pub(crate) scopes: Vec<String>,
    pub(crate) org: Option<String>,
}

impl TokenRequest {
    /// A token for the API resource `resource` (its indicator, as registered in Logto).
    pub fn resource(resource: impl Into<String>) -> Self {
        Self {
            resource: Some(resource.into()),
            scopes: Vec::new(),
            org: None,
        }
    }

    /// An organization token (organization permissions, `aud` =
    /// `urn:logto:organization:<id>`): no resource, `organization_id` = `org_id`.
    pub fn org_token(org_id: impl Into<String>) -> Self {
        Self {
            resource: None,
            scopes: Vec::new(),
            org: Some(org_id.into()),
        }
    }

    /// Asks for `scopes` (default: none, which Logto answers with no scope).
    pub fn scopes<I, T>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self.scopes.sort();
        self.scopes.dedup();
        self
    }

    /// For the organization `org_id` (`organization_id`): with a resource, a token for an
    /// organization-level API resource.
    pub fn org(mut self, org_id: impl Into<String>) -> Self {
        self.org = Some(org_id.into());
        self
    }

    /// The form parameters it adds to a token request.
    pub(crate) fn form(&self) -> Vec<(&'static str, String)> {
        let mut form = Vec::new();
        if let Some(resource) = &self.resource {
            form.push(("resource", resource.clone()));
        }
        if !self.scopes.is_empty() {
            form.push(("scope", self.scopes.join(" ")));
        }
        if let Some(org) = &self.org {
            form.push(("organization_id", org.clone()));
        }
        form
    }
}
