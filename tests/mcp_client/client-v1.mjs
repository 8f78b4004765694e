// The official TypeScript MCP SDK's 1.x client (npm @modelcontextprotocol/sdk; it speaks up to
// the revision 2025-11-25, with the initialize handshake) against the server at MCP_URL, as an
// OAuth client holding READ_TOKEN (read:notes). On the 403 insufficient_scope it steps up by
// itself: it reads the challenge, discovers the authorization server from the protected-resource
// metadata, and sends the user to authorize the scope the challenge named; this script records
// that authorization URL instead of following it, then continues with WRITE_TOKEN
// (read:notes write:notes), as the user's consent would give. Prints one JSON line per step for
// tests/it/mcp_clients.rs; exits non-zero on anything unexpected.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const { MCP_URL, READ_TOKEN, WRITE_TOKEN } = process.env;
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

// An OAuth client provider with a token already in hand (a registered client, no refresh
// token): a step-up goes to the authorization endpoint.
function provider(token, redirects) {
  return {
    get redirectUrl() {
      return 'http://127.0.0.1/callback';
    },
    get clientMetadata() {
      return { client_name: 'axum-logto-tests', redirect_uris: ['http://127.0.0.1/callback'] };
    },
    clientInformation: () => ({ client_id: 'axum-logto-tests' }),
    tokens: () => ({ access_token: token, token_type: 'Bearer' }),
    saveTokens: () => {},
    saveCodeVerifier: () => {},
    codeVerifier: () => 'unused',
    redirectToAuthorization: (url) => redirects.push(url),
    // The metadata names the token audience (https://mcp.example.com/), not the loopback URL
    // the test serves it at: take the metadata's resource as it is.
    validateResourceURL: (_serverUrl, resource) => (resource ? new URL(resource) : undefined),
  };
}

async function connect(token, redirects) {
  const client = new Client({ name: 'axum-logto-tests', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
    authProvider: provider(token, redirects),
  });
  await client.connect(transport);
  return client;
}

const redirects = [];
const reader = await connect(READ_TOKEN, redirects);
print({ step: 'connected', protocolVersion: reader.transport.protocolVersion });
const { tools } = await reader.listTools();
print({ step: 'tools', names: tools.map((tool) => tool.name).sort() });
const whoami = await reader.callTool({ name: 'whoami', arguments: {} });
print({ step: 'whoami', text: whoami.content[0].text });
try {
  await reader.callTool({ name: 'add_note', arguments: { text: 'from node' } });
  print({ step: 'add_note', refused: false });
} catch (error) {
  const [authorize] = redirects;
  print({
    step: 'add_note',
    refused: true,
    unauthorized: error instanceof UnauthorizedError,
    authorizationEndpoint: authorize && `${authorize.origin}${authorize.pathname}`,
    scope: authorize?.searchParams.get('scope'),
    resource: authorize?.searchParams.get('resource'),
    message: error.message,
  });
}
await reader.close();

// The token the user's consent gives: the call succeeds.
const writer = await connect(WRITE_TOKEN, []);
const added = await writer.callTool({ name: 'add_note', arguments: { text: 'from node' } });
print({ step: 'add_note with write:notes', isError: added.isError ?? false, text: added.content[0].text });
await writer.close();
