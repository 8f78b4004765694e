// Runs one Logto instance for the end-to-end tests: its own PostgreSQL cluster (fresh, seeded) and
// Logto core, on free loopback ports; started by the Rust fixture (tests/logto/harness.rs) with
// the Node.js 22 that tests/logto/prepare.sh installed.
//
// Interface
//   env LOGTO_DIR      the built Logto workspace (`logto/` of the source archive)
//   env RUN_DIR        a fresh directory for this instance: logs, the database cluster
//   env PG_BIN         PostgreSQL's bin directory (initdb, postgres)
//   env PG_USER        when running as root: the user that runs PostgreSQL (default postgres)
//   stdout             one line per answer:
//                        ready {"endpoint", "adminEndpoint", "dbUrl", "m2m": {"id", "secret"}}
//                        ok <command>
//                        error <step> <log file> <message>
//   stdin              commands, one per line: `stop` (core), `start` (core), `restart` (core);
//                      end of input (the test process exited or died) stops everything and
//                      exits. So does SIGTERM / SIGINT / SIGHUP.
//   exit               after end of input, or 1 when the start-up fails (after its error line).
//
// Every step is bounded in time, and names itself and the log to read when it fails. Children are
// started through `setpriv --pdeathsig`, so the kernel stops them even if this process is killed.
// Core listens on 127.0.0.1 only (loopback.cjs).
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = (name) => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`supervisor.mjs: ${name} is not set`);
  }
  return value;
};
const logtoDir = env('LOGTO_DIR');
const runDir = env('RUN_DIR');
const pgBin = env('PG_BIN');
const isRoot = process.getuid?.() === 0;
const pgUser = process.env.PG_USER || 'postgres';

fs.mkdirSync(runDir, { recursive: true });
const logFile = (name) => path.join(runDir, `${name}.log`);

class StepError extends Error {
  constructor(step, log, message) {
    super(message);
    this.step = step;
    this.log = log;
  }
}

const say = (line) => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Free loopback ports, held together while picked so that they differ. */
const freePorts = async (count) => {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        })
    )
  );
  const ports = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
};

/** The command line that runs `argv` with a parent-death signal, as `user` when given. */
const guarded = (signal, argv, user) => {
  const prefix = ['setpriv', `--pdeathsig=${signal}`];
  if (user) {
    prefix.push(`--reuid=${user}`, `--regid=${user}`, '--init-groups');
  }
  return [...prefix, ...argv];
};

/** Spawns `argv` with its output appended to `log`; resolves its exit code. */
const run = (step, argv, { log, cwd, env: extraEnv, timeoutMs }) =>
  new Promise((resolve, reject) => {
    const out = fs.openSync(log, 'a');
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new StepError(step, log, `timed out after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new StepError(step, log, `could not start ${argv[0]}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve();
      } else {
        reject(new StepError(step, log, `${argv.join(' ')} exited with ${code ?? signal}`));
      }
    });
  });

/** A long-running child whose output goes to `log`. */
const daemon = (argv, { log, cwd, env: extraEnv }) => {
  const out = fs.openSync(log, 'a');
  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  child.once('error', () => {});
  return child;
};

/** Waits until `probe` resolves true, the child has not exited, and `timeoutMs` has not passed. */
const waitFor = async (step, log, child, timeoutMs, probe) => {
  const deadline = Date.now() + timeoutMs;
  let exited;
  void child.exited.then((status) => {
    exited = status;
  });
  for (;;) {
    if (exited !== undefined) {
      throw new StepError(step, log, `exited with ${exited} before it was ready`);
    }
    if (await probe().catch(() => false)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new StepError(step, log, `not ready after ${timeoutMs / 1000} s`);
    }
    await sleep(200);
  }
};

const stopChild = async (child, signal, graceMs) => {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  child.kill(signal);
  const done = await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await child.exited;
  }
};

const [corePort, adminPort, pgPort] = await freePorts(3);
const endpoint = `http://127.0.0.1:${corePort}`;
const adminEndpoint = `http://127.0.0.1:${adminPort}`;
const dbUrl = `postgres://postgres@127.0.0.1:${pgPort}/logto`;
const pgData = path.join(runDir, 'pgdata');
let postgres;
let core;
let shuttingDown = false;

const startPostgres = async () => {
  const log = logFile('postgres');
  fs.mkdirSync(pgData, { recursive: true });
  if (isRoot) {
    // PostgreSQL refuses to run as root.
    execFileSync('chown', ['-R', `${pgUser}:`, pgData]);
  }
  const user = isRoot ? pgUser : undefined;
  await run(
    'initdb',
    guarded('KILL', [path.join(pgBin, 'initdb'), '-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], user),
    { log, cwd: runDir, timeoutMs: 60_000 }
  );
  postgres = daemon(
    guarded(
      'INT',
      [
        path.join(pgBin, 'postgres'),
        '-D', pgData,
        '-p', String(pgPort),
        '-c', 'listen_addresses=127.0.0.1',
        '-c', `unix_socket_directories=${pgData}`,
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
        '-c', 'max_connections=200',
      ],
      user
    ),
    { log, cwd: runDir }
  );
  await waitFor('postgres', log, postgres, 30_000, () =>
    new Promise((resolve) => {
      const socket = net.connect(pgPort, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    })
  );
};

const seed = async () => {
  const log = logFile('seed');
  // The CLI copies its alteration scripts into the workspace on each run: instances that seed
  // at the same time take turns (flock), or they trip over each other's copies.
  const lock = path.join(logtoDir, '..', 'seed.lock');
  await run('seed', ['flock', lock, process.execPath, 'packages/cli/bin/logto.js', 'db', 'seed', '--swe'], {
    log,
    cwd: logtoDir,
    env: { DB_URL: dbUrl, NODE_ENV: 'production' },
    timeoutMs: 180_000,
  });
};

/** A machine-to-machine application with the seeded Management API role, inserted as the
 * console would create it, since without a console there is no other way in. */
const bootstrapManagementApi = async () => {
  const log = logFile('bootstrap');
  const { Client } = createRequire(path.join(logtoDir, 'package.json'))('pg');
  const client = new Client({ connectionString: dbUrl });
  const id = `e2e${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(24).toString('hex');
  try {
    await client.connect();
    await client.query('begin');
    await client.query(
      `insert into applications (tenant_id, id, name, secret, description, type, oidc_client_metadata)
       values ('default', $1, 'e2e management', $2, 'axum-logto end-to-end tests', 'MachineToMachine',
               '{"redirectUris":[],"postLogoutRedirectUris":[]}')`,
      [id, secret]
    );
    await client.query(
      `insert into application_secrets (tenant_id, application_id, name, value)
       values ('default', $1, 'e2e', $2)`,
      [id, secret]
    );
    const roles = await client.query(
      `insert into applications_roles (tenant_id, id, application_id, role_id)
       select 'default', $2, $1, id from roles
       where tenant_id = 'default' and name = 'Logto Management API access'
       returning role_id`,
      [id, `e2e${randomBytes(8).toString('hex')}`]
    );
    if (roles.rowCount !== 1) {
      throw new Error('no role "Logto Management API access" in tenant default');
    }
    await client.query('commit');
  } catch (error) {
    fs.appendFileSync(log, `${error.stack}\n`);
    throw new StepError('bootstrap', log, error.message);
  } finally {
    await client.end().catch(() => {});
  }
  return { id, secret };
};

const startCore = async () => {
  const log = logFile('core');
  fs.appendFileSync(log, `\n== core starting at ${new Date().toISOString()}\n`);
  core = daemon(guarded('TERM', [process.execPath, '--require', path.join(here, 'loopback.cjs'), '.']), {
    log,
    cwd: path.join(logtoDir, 'packages', 'core'),
    env: {
      NODE_ENV: 'production',
      DB_URL: dbUrl,
      ENDPOINT: endpoint,
      ADMIN_ENDPOINT: adminEndpoint,
      PORT: String(corePort),
      ADMIN_PORT: String(adminPort),
      // RFC 8693 exchange of access tokens (impersonation works without it).
      ACCESS_TOKEN_EXCHANGE_ENABLED: '1',
    },
  });
  await waitFor('core', log, core, 90_000, async () => {
    const response = await fetch(`${endpoint}/oidc/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  });
};

const stopCore = async () => {
  await stopChild(core, 'SIGTERM', 10_000);
  core = undefined;
};

const shutdown = async () => {
  if (shuttingDown) {
    return;
  }
  shuttingDown = true;
  await stopCore().catch(() => {});
  await stopChild(postgres, 'SIGINT', 15_000).catch(() => {});
  // The logs stay for a post-mortem; the database cluster goes.
  fs.rmSync(pgData, { recursive: true, force: true });
  process.exit(0);
};

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => void shutdown());
}

// Commands, and the watchdog: end of input means the test process is gone.
const commands = [];
let wake;
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  commands.push(line.trim());
  wake?.();
});
lines.on('close', () => void shutdown());

try {
  await startPostgres();
  await seed();
  const m2m = await bootstrapManagementApi();
  await startCore();
  say(`ready ${JSON.stringify({ endpoint, adminEndpoint, dbUrl, runDir, m2m })}`);
} catch (error) {
  const step = error.step ?? 'supervisor';
  say(`error ${step} ${error.log ?? '-'} ${String(error.message).replaceAll('\n', ' ')}`);
  await shutdown();
}

for (;;) {
  if (commands.length === 0) {
    await new Promise((resolve) => {
      wake = resolve;
    });
    continue;
  }
  const command = commands.shift();
  try {
    if (command === 'stop' || command === 'restart') {
      await stopCore();
    }
    if (command === 'start' || command === 'restart') {
      if (core) {
        throw new StepError('core', logFile('core'), 'already running');
      }
      await startCore();
    }
    if (!['stop', 'start', 'restart'].includes(command)) {
      throw new StepError('command', '-', `unknown command ${JSON.stringify(command)}`);
    }
    say(`ok ${command}`);
  } catch (error) {
    say(`error ${error.step ?? command} ${error.log ?? '-'} ${String(error.message).replaceAll('\n', ' ')}`);
  }
}
