// The official TypeScript MCP client against the server at MCP_URL, with static bearer
// tokens (READ_TOKEN: read:notes; WRITE_TOKEN: read:notes write:notes). MODE=pin pins the
// revision 2026-07-28 (server/discover, per-request _meta, Mcp-Method and Mcp-Name headers);
// MODE=legacy runs the 2025 initialize handshake. Prints one JSON line per step for
// tests/it/mcp_clients.rs; exits non-zero on anything unexpected.
import {
  Client,
  InsufficientScopeError,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';

const { MCP_URL, READ_TOKEN, WRITE_TOKEN, MODE } = process.env;
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function connect(token) {
  const options =
    MODE === 'pin' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {};
  const client = new Client({ name: 'axum-logto-tests', version: '1.0.0' }, options);
  // A static token: no OAuth provider, so a 403 insufficient_scope is thrown, not stepped up.
  const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
    authProvider: { token: async () => token },
  });
  await client.connect(transport);
  return client;
}

const reader = await connect(READ_TOKEN);
print({ step: 'connected', protocolVersion: reader.getNegotiatedProtocolVersion() });
const { tools } = await reader.listTools();
print({ step: 'tools', names: tools.map((tool) => tool.name).sort() });
const whoami = await reader.callTool({ name: 'whoami', arguments: {} });
print({ step: 'whoami', text: whoami.content[0].text });
try {
  await reader.callTool({ name: 'add_note', arguments: { text: 'from node' } });
  print({ step: 'add_note', refused: false });
} catch (error) {
  print({
    step: 'add_note',
    refused: true,
    insufficientScope: error instanceof InsufficientScopeError,
    requiredScope: error.requiredScope,
    resourceMetadataUrl: error.resourceMetadataUrl,
    message: error.message,
  });
}
await reader.close();

// A new token with the scope the challenge named: the call succeeds.
const writer = await connect(WRITE_TOKEN);
const added = await writer.callTool({ name: 'add_note', arguments: { text: 'from node' } });
print({ step: 'add_note with write:notes', isError: added.isError ?? false, text: added.content[0].text });
await writer.close();
