// Logto-like OpenID Provider for axum-logto end-to-end tests.
//
// Runs the real `oidc-provider` (panva) — the library Logto is built on — on
// 127.0.0.1, configured the way Logto configures it for machine-to-machine
// (client_credentials) access tokens, plus a small admin API to rotate
// signing keys while the server runs.
//
// Interface
//   env PORT                   port to listen on (unset or 0: pick a free one)
//   env PROVIDER_KEY_KTY       kty of the initial signing key: EC (default,
//                              P-384 / ES384) or RSA (2048 / RS256)
//   env PROVIDER_IGNORE_STDIN  "1": do not exit when stdin reaches EOF
//   env PROVIDER_KEYS_FILE     a JSON file of signing keys shared by several
//                              instances (one tenant behind a custom domain and
//                              its default domain): read when it exists, else
//                              written with the initial key
//   stdout                     exactly one line once listening:
//                                ready http://127.0.0.1:<port>
//   stderr                     everything else (logs, oidc-provider notices)
//   exit                       on SIGTERM / SIGINT, and on stdin EOF (unless
//                              PROVIDER_IGNORE_STDIN=1)
//
// Routes
//   /oidc/...                  the provider; issuer http://127.0.0.1:<port>/oidc
//                              discovery /oidc/.well-known/openid-configuration
//                              JWKS /oidc/jwks, token endpoint /oidc/token
//   GET  /admin/keys                     {"signing": kid, "keys": [{kid, kty}, ...]}
//   POST /admin/keys/publish?kty=EC|RSA  {"kid": kid}   publish a new key, do not sign with it
//   POST /admin/keys/sign?kid=X          {"signing": kid, "keys": [...]} sign with published key X
//   POST /admin/keys/drop?kid=X          {"signing": kid, "keys": [...]} unpublish X
//                                        (400 if X is the signing key, 404 if unknown)

import * as crypto from 'node:crypto';
import * as http from 'node:http';

// oidc-provider prints its NOTICEs with console.info, i.e. on stdout; stdout
// is reserved for the ready line, so route every console output to stderr.
// (Done before oidc-provider is imported, hence the dynamic import below.)
console.log = console.error;
console.info = console.error;
console.debug = console.error;

const { default: Provider, errors } = await import('oidc-provider');
// Logto replaces oidc-provider's client_credentials grant with its own so that
// the token request may carry `organization_id`; extraParams only applies to
// the authorization endpoint. We do the same, wrapping the library's own
// handler (deep imports: the package has no "exports" map and is pinned).
const clientCredentials = await import('oidc-provider/lib/actions/grants/client_credentials.js');
const grantHelpers = await import('oidc-provider/lib/helpers/grants.js');
// The library's in-memory adapter (its storage is module global, so opaque
// tokens survive Provider rebuilds); subclassed only so that oidc-provider does
// not print its "development-only adapter" warning on every rebuild.
const { default: MemoryAdapter } = await import('oidc-provider/lib/adapters/memory_adapter.js');
class TestMemoryAdapter extends MemoryAdapter {}

const log = (...args) => console.error('[provider]', ...args);

// ---------------------------------------------------------------------------
// Static configuration (what a Logto tenant would hold in its database)

const OIDC_PREFIX = '/oidc';
const CLIENT_SECRET = 'test-secret';

const API_SCOPES = 'read:docs write:docs delete:docs admin read:reports';
// An MCP server's resource indicator: its URL, with the trailing slash of Logto's MCP guide.
const MCP_RESOURCE = 'https://mcp.example.com/';
const MCP_SCOPES = 'read:notes write:notes';
const ORGANIZATION_IDS = ['org-a', 'org-b', 'org-c'];
const ORGANIZATION_RESOURCE_PREFIX = 'urn:logto:organization:';

/** resource indicator -> space separated scopes */
const RESOURCES = new Map([
  ['https://api.example.com', API_SCOPES],
  ['https://other.example.com', 'read:docs'],
  [MCP_RESOURCE, MCP_SCOPES],
  ...ORGANIZATION_IDS.map((id) => [`${ORGANIZATION_RESOURCE_PREFIX}${id}`, 'read:members invite:members']),
]);

const CLIENTS = [
  {
    client_id: 'test-client',
    client_secret: CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    // Same application, credentials sent in the form body instead.
    client_id: 'test-client-post',
    client_secret: CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
  },
];

const ACCESS_TOKEN_TTL = 3600;

// What Logto's "custom JWT" script adds to access tokens of API resources:
// top-level claims, here the roles of each application.
const CLIENT_ROLES = new Map([
  ['test-client', ['admin', 'editor']],
  ['test-client-post', ['viewer']],
]);

// ---------------------------------------------------------------------------
// Key management

/** @type {Map<string, {kid: string, kty: 'EC'|'RSA', jwk: object}>} insertion ordered */
const keys = new Map();
let signingKid;

function newKid() {
  return crypto.randomBytes(12).toString('base64url');
}

function generateKey(kty) {
  let keyPair;
  if (kty === 'EC') {
    keyPair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
  } else if (kty === 'RSA') {
    keyPair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  } else {
    throw new Error(`unsupported kty ${kty}`);
  }
  const kid = newKid();
  // No `alg` on the JWK: oidc-provider adds alg ES384 to P-384 keys by itself
  // (the only possible alg) and leaves RSA keys without one, like Logto.
  const jwk = { ...keyPair.privateKey.export({ format: 'jwk' }), kid, use: 'sig' };
  const entry = { kid, kty, jwk };
  keys.set(kid, entry);
  return entry;
}

function algFor(entry) {
  return entry.kty === 'EC' ? 'ES384' : 'RS256';
}

function keysSummary() {
  return {
    signing: signingKid,
    keys: [...keys.values()].map(({ kid, kty }) => ({ kid, kty })),
  };
}

// ---------------------------------------------------------------------------
// Provider construction. oidc-provider reads its keystore once, at
// construction, so every key change builds a fresh Provider and swaps the
// request handler. JWT access tokens are self-contained, and the in-memory
// adapter's storage (opaque tokens) is module-global, so nothing is lost.

let issuer;
let oidcHandler; // (req, res) => void of the current Provider

function buildProvider() {
  const signing = keys.get(signingKid);
  const alg = algFor(signing);
  // Signing key first: oidc-provider picks the first key that fits the alg.
  const ordered = [signing, ...[...keys.values()].filter((k) => k.kid !== signingKid)];

  const algs = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'];

  const provider = new Provider(issuer, {
    adapter: TestMemoryAdapter,
    clients: CLIENTS,
    jwks: { keys: ordered.map((k) => k.jwk) },
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      id_token_signed_response_alg: alg,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: algs,
      userinfoSigningAlgValues: algs,
      introspectionSigningAlgValues: algs,
      authorizationSigningAlgValues: algs,
    },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    // Declared as in Logto; note it only affects the authorization endpoint.
    // At the token endpoint organization_id is accepted by the client_credentials
    // grant re-registered below.
    extraParams: ['organization_id'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // No resource parameter => opaque access token (as in Logto).
        defaultResource: async () => undefined,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          const scope = RESOURCES.get(resource);
          if (scope === undefined) {
            throw new errors.InvalidTarget();
          }
          return {
            scope,
            audience: resource,
            accessTokenTTL: ACCESS_TOKEN_TTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg, kid: signingKid } },
          };
        },
      },
    },
    extraTokenClaims: async (ctx, token) => {
      if (!token.resourceServer) {
        return undefined;
      }
      const claims = {};
      const roles = CLIENT_ROLES.get(token.clientId);
      if (roles && !token.resourceServer.audience.startsWith(ORGANIZATION_RESOURCE_PREFIX)) {
        claims.roles = roles;
      }
      const organizationId = ctx?.oidc?.params?.organization_id;
      if (organizationId) {
        claims.organization_id = organizationId;
      }
      return claims;
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ACCESS_TOKEN_TTL,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ACCESS_TOKEN_TTL,
    },
  });

  // client_credentials with Logto's organization_id parameter.
  const helpers = Object.fromEntries(
    Object.entries(grantHelpers).map(([name, fn]) => [name, fn.bind(undefined, provider)]),
  );
  provider.registerGrantType(
    clientCredentials.grantType,
    async (ctx) => {
      const organizationId = ctx.oidc.params.organization_id;
      if (organizationId !== undefined) {
        if (!ORGANIZATION_IDS.includes(organizationId)) {
          throw new errors.AccessDenied('client is not a member of the organization');
        }
        const { resource } = ctx.oidc.params;
        if (!resource) {
          throw new errors.InvalidRequest('organization_id requires a resource parameter');
        }
        if (typeof resource === 'string' && resource.startsWith(ORGANIZATION_RESOURCE_PREFIX)) {
          throw new errors.InvalidTarget('organization_id cannot be used with an organization resource');
        }
      }
      return clientCredentials.handler(provider, helpers, ctx);
    },
    new Set([...clientCredentials.parameters, 'resource', 'organization_id']),
    new Set(['resource']),
  );

  provider.on('server_error', (_ctx, err) => log('server_error', err));
  provider.on('grant.error', (_ctx, err) => log('grant.error', err.message, err.error_description ?? ''));

  const handler = provider.callback();
  return handler;
}

function rebuild() {
  oidcHandler = buildProvider();
  log('provider built; signing', signingKid, 'published', [...keys.keys()].join(','));
}

// ---------------------------------------------------------------------------
// HTTP plumbing

function sendJson(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

function handleAdmin(req, res, url) {
  const path = url.pathname;
  const method = req.method;
  try {
    if (method === 'GET' && path === '/admin/keys') {
      return sendJson(res, 200, keysSummary());
    }
    if (method === 'POST' && path === '/admin/keys/publish') {
      const kty = (url.searchParams.get('kty') || 'EC').toUpperCase();
      if (kty !== 'EC' && kty !== 'RSA') {
        return sendJson(res, 400, { error: 'kty must be EC or RSA' });
      }
      const entry = generateKey(kty);
      rebuild();
      return sendJson(res, 200, { kid: entry.kid });
    }
    if (method === 'POST' && path === '/admin/keys/sign') {
      const kid = url.searchParams.get('kid');
      if (!kid || !keys.has(kid)) {
        return sendJson(res, 404, { error: `unknown kid ${kid}` });
      }
      signingKid = kid;
      rebuild();
      return sendJson(res, 200, keysSummary());
    }
    if (method === 'POST' && path === '/admin/keys/drop') {
      const kid = url.searchParams.get('kid');
      if (!kid || !keys.has(kid)) {
        return sendJson(res, 404, { error: `unknown kid ${kid}` });
      }
      if (kid === signingKid) {
        return sendJson(res, 400, { error: 'cannot drop the current signing key' });
      }
      keys.delete(kid);
      rebuild();
      return sendJson(res, 200, keysSummary());
    }
    return sendJson(res, 404, { error: 'not found' });
  } catch (err) {
    log('admin error', err);
    return sendJson(res, 500, { error: String(err?.message ?? err) });
  }
}

function onRequest(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === OIDC_PREFIX || url.pathname.startsWith(`${OIDC_PREFIX}/`)) {
    if (!oidcHandler) {
      return sendJson(res, 503, { error: 'starting' });
    }
    // Mounting as documented for plain node http / connect: keep the full URL
    // in originalUrl and hand the provider the path relative to the mount
    // point; oidc-provider derives its endpoint URLs from the difference.
    req.originalUrl = req.url;
    req.url = req.url.slice(OIDC_PREFIX.length) || '/';
    return oidcHandler(req, res);
  }
  if (url.pathname === '/admin' || url.pathname.startsWith('/admin/')) {
    return handleAdmin(req, res, url);
  }
  return sendJson(res, 404, { error: 'not found' });
}

// ---------------------------------------------------------------------------
// Startup / shutdown

const server = http.createServer(onRequest);
server.keepAliveTimeout = 1000;

let stopping = false;
function shutdown(reason) {
  if (stopping) return;
  stopping = true;
  log(`shutting down (${reason})`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

if (process.env.PROVIDER_IGNORE_STDIN !== '1') {
  process.stdin.on('end', () => shutdown('stdin EOF'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.on('data', () => {}); // discard
  process.stdin.resume();
}

const initialKty = (process.env.PROVIDER_KEY_KTY || 'EC').toUpperCase();
if (initialKty !== 'EC' && initialKty !== 'RSA') {
  log(`PROVIDER_KEY_KTY must be EC or RSA, got ${initialKty}`);
  process.exit(2);
}

const port = Number.parseInt(process.env.PORT || '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  log(`invalid PORT ${process.env.PORT}`);
  process.exit(2);
}

server.on('error', (err) => {
  log('server error', err);
  process.exit(1);
});

/** The initial keys: shared through PROVIDER_KEYS_FILE when set, else new. */
async function initialKeys() {
  const file = process.env.PROVIDER_KEYS_FILE;
  if (file) {
    const fs = await import('node:fs');
    if (fs.existsSync(file)) {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const entry of saved.keys) {
        keys.set(entry.kid, entry);
      }
      signingKid = saved.signing;
      return;
    }
    signingKid = generateKey(initialKty).kid;
    fs.writeFileSync(file, JSON.stringify({ signing: signingKid, keys: [...keys.values()] }));
    return;
  }
  signingKid = generateKey(initialKty).kid;
}

await initialKeys();

server.listen(port, '127.0.0.1', () => {
  const { port: actualPort } = server.address();
  const base = `http://127.0.0.1:${actualPort}`;
  issuer = `${base}${OIDC_PREFIX}`;
  rebuild();
  log(`issuer ${issuer}`);
  process.stdout.write(`ready ${base}\n`);
});
