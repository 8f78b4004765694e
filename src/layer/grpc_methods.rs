//! [`GrpcPolicy`] (feature `tonic`): the scopes of each gRPC method, for
//! [`LogtoLayer::grpc`](crate::LogtoLayer::grpc).

use super::policy::{Rule, Table, scopes_supported};
use crate::scope::ScopeSet;

/// The scopes each gRPC method needs, for [`LogtoLayer::grpc`](crate::LogtoLayer::grpc): a
/// map from `/package.Service/Method` paths (as in the request's `:path`, the proto names as
/// written) to scope sets, with whole-service entries (`/package.Service/*`). **A method it
/// does not list is refused** (`permission_denied`), unless [`unlisted`](Self::unlisted)
/// says otherwise: a method added to a service later inherits no check by accident.
///
/// The scope sets are those of the extractors: a [`scopes!`](crate::scopes) marker, a tuple
/// of them (all of them), [`AnyOf`](crate::AnyOf) (one of them), `()` (any valid token). A
/// method's own entry wins over its service's. Each call is decided after its token passed
/// the layer's checks (and those of [`require_scopes`](crate::LogtoLayer::require_scopes) and
/// [`require_check`](crate::LogtoLayer::require_check), if set): a call without the method's
/// scopes is `permission_denied` with the fixed description, as for the whole layer.
///
/// The health and reflection services are methods like any other: list them
/// (`/grpc.health.v1.Health/*`, `/grpc.reflection.v1.ServerReflection/*`) for a load
/// balancer or `grpcurl` that calls them with a token; mount them outside the layer for one
/// that does not.
///
/// ```
/// use axum_logto::{scopes, AnyOf, GrpcPolicy, LogtoLayer, LogtoState};
///
/// scopes! {
///     pub ReadDocs = "read:docs";
///     pub WriteDocs = "write:docs";
///     pub Admin = "admin";
/// }
///
/// let methods = GrpcPolicy::new()
///     .service::<ReadDocs>("/docs.v1.Docs/*") // every method of docs.v1.Docs…
///     .method::<WriteDocs>("/docs.v1.Docs/Create") // …but Create
///     .method::<AnyOf<(WriteDocs, Admin)>>("/docs.v1.Docs/Delete")
///     .method::<()>("/grpc.health.v1.Health/Check"); // any valid token
/// assert_eq!(methods.scopes(), ["admin", "read:docs", "write:docs"]);
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let layer = LogtoLayer::new(logto).grpc(methods);
/// // tonic::transport::Server::builder().layer(layer).add_service(…)
/// # let _ = layer;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct GrpcPolicy {
    methods: Table,
    unlisted: Rule,
}

impl Default for GrpcPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl GrpcPolicy {
    /// A policy that lists no method: every call is refused until methods are listed.
    pub fn new() -> Self {
        Self {
            methods: Table::default(),
            unlisted: Rule::Refuse,
        }
    }

    /// The method at `path` (`/package.Service/Method`) needs the scopes `S`. `path` may
    /// also be a whole service, `/package.Service/*` (as [`service`](Self::service)).
    ///
    /// # Panics
    ///
    /// When `path` is not of the form `/package.Service/Method` or `/package.Service/*`
    /// (a configuration mistake, found when the policy is built): as Axum's `Router::route`
    /// does with a malformed route.
    pub fn method<S: ScopeSet>(mut self, path: &str) -> Self {
        assert!(
            is_method_path(path),
            "GrpcPolicy: {path:?} is not a gRPC method path (/package.Service/Method or /package.Service/*)"
        );
        self.methods.insert(path, Rule::of::<S>());
        self
    }

    /// Every method of a service needs the scopes `S`, unless listed on its own: `service`
    /// is `/package.Service/*`, or `package.Service`.
    ///
    /// # Panics
    ///
    /// When `service` is not a service name in one of these forms.
    pub fn service<S: ScopeSet>(self, service: &str) -> Self {
        let service = service.trim_start_matches('/').trim_end_matches("/*");
        self.method::<S>(&format!("/{service}/*"))
    }

    /// What a method the policy does not list needs: the scopes `S` (`()`: any valid
    /// token). Default: it is refused (`permission_denied`), whatever the token.
    pub fn unlisted<S: ScopeSet>(mut self) -> Self {
        self.unlisted = Rule::of::<S>();
        self
    }

    /// Every scope the policy names, each once, sorted: for the protected-resource
    /// metadata's `scopes_supported`, say.
    pub fn scopes(&self) -> Vec<&'static str> {
        let unlisted = self.unlisted.scopes().iter().copied();
        scopes_supported(self.methods.scopes().chain(unlisted))
    }

    /// The rule of the call at `path`: the method's entry, its service's, or the default.
    pub(crate) fn rule(&self, path: &str) -> Rule {
        self.methods.get(path).unwrap_or(self.unlisted)
    }
}

/// `/package.Service/Method` or `/package.Service/*`: two non-empty segments, no more.
fn is_method_path(path: &str) -> bool {
    let Some((service, method)) = path.strip_prefix('/').and_then(|rest| rest.split_once('/'))
    else {
        return false;
    };
    let plain = |segment: &str| {
        !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'/' && b != b'*')
    };
    plain(service) && (method == "*" || plain(method))
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::scopes! {
        Read = "read";
        Write = "write";
    }

    #[test]
    fn methods_then_services_then_the_default() {
        let policy = GrpcPolicy::new()
            .service::<Read>("pkg.Docs")
            .method::<Write>("/pkg.Docs/Create")
            .method::<()>("/grpc.health.v1.Health/Check");
        assert_eq!(policy.rule("/pkg.Docs/Create"), Rule::of::<Write>());
        assert_eq!(policy.rule("/pkg.Docs/Get"), Rule::of::<Read>());
        assert_eq!(policy.rule("/pkg.Docs/"), Rule::of::<Read>());
        assert_eq!(policy.rule("/pkg.DocsAdmin/Get"), Rule::Refuse);
        assert_eq!(
            policy.rule("/grpc.health.v1.Health/Check"),
            Rule::of::<()>()
        );
        assert_eq!(policy.rule("/grpc.health.v1.Health/Watch"), Rule::Refuse);
        assert_eq!(policy.rule("//pkg.Docs/Get"), Rule::Refuse);
        assert_eq!(policy.rule(""), Rule::Refuse);
        let open = policy.clone().unlisted::<()>();
        assert_eq!(open.rule("/other.Svc/Any"), Rule::of::<()>());
        assert_eq!(policy.scopes(), ["read", "write"]);
    }

    #[test]
    fn paths_are_checked() {
        for good in ["/a.B/C", "/B/C", "/a.B/*"] {
            assert!(is_method_path(good), "{good}");
        }
        for bad in [
            "", "/", "a.B/C", "/a.B", "/a.B/", "//C", "/a.B/C/D", "/a B/C", "/*/C",
        ] {
            assert!(!is_method_path(bad), "{bad}");
        }
        let service = GrpcPolicy::new().service::<Read>("/a.B/*");
        assert_eq!(service.rule("/a.B/C"), Rule::of::<Read>());
    }

    #[test]
    #[should_panic(expected = "is not a gRPC method path")]
    fn a_malformed_path_panics_when_the_policy_is_built() {
        let _ = GrpcPolicy::new().method::<Read>("a.B/C");
    }
}
