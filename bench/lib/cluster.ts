// One embedded PostgreSQL for the whole benchmark run; each benchmark gets a fresh database on it.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { removeCluster, startEmbeddedDatabase } from '../../src-main/master/db/embedded';

export interface Cluster {
  url: string;
  freshDatabase(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

const made: string[] = [];

/** A temp folder removed by `removeTempDirs()` at the end of the run (kept with BENCH_KEEP=1, e.g. for master logs). */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  if (process.env.BENCH_KEEP) return;
  await Promise.all(made.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
}

export async function startCluster(): Promise<Cluster> {
  const dataDir = await tempDir('baton-bench-pg-');
  const db = await startEmbeddedDatabase(dataDir, () => undefined);
  return {
    url: db.url,
    async freshDatabase(prefix) {
      const name = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query(`create database ${name}`);
      await client.end();
      const url = new URL(db.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      await db.stop().catch(() => undefined);
      // As root the cluster lives outside dataDir (under /var/lib/baton); remove both.
      removeCluster(dataDir);
      await fs.rm(dataDir, { recursive: true, force: true });
      await fs.rmdir('/var/lib/baton').catch(() => undefined);
    },
  };
}

/** Runs `work` with a short-lived client on `url`. */
export async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
