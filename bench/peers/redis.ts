// A throwaway redis-server for the BullMQ row: loopback, a free port, a temp dir, AOF with fsync every second; stopped by PID.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src-main/master/db/embedded';
import { tempDir } from '../lib/cluster';
import { waitFor } from '../lib/util';

export interface RedisOptions { port: number; dir: string }

/**
 * The command line for the benchmark's redis-server. Durability as issue 11 states it for BullMQ: the append-only
 * file with fsync every second. RDB snapshots are off so a background save cannot land inside one system's run.
 */
export function redisArgs(o: RedisOptions): string[] {
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65_535) throw new Error(`redis port ${o.port} is not a TCP port (1-65535)`);
  if (!path.isAbsolute(o.dir)) throw new Error(`redis dir "${o.dir}" must be an absolute path`);
  return [
    '--bind', '127.0.0.1', '--port', String(o.port), '--protected-mode', 'yes',
    '--dir', o.dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
    '--daemonize', 'no', '--logfile', '', '--databases', '1',
  ];
}

/** The redis-server on the search path, or null (the bench then skips BullMQ and says so). */
export function findRedisServer(searchPath = process.env.PATH ?? ''): string | null {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'redis-server');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return null;
}

/** "7.0.15" from `redis-server --version`. */
export function redisVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  return /v=(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? 'unknown';
}

export interface RedisServer { port: number; pid: number; version: string; stop(): Promise<void> }

export async function startRedis(binary: string): Promise<RedisServer> {
  const dir = await tempDir('baton-bench-redis-');
  const port = await freePort();
  const child = spawn(binary, redisArgs({ port, dir }), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer) => { out = (out + c.toString()).slice(-10_000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  // Should the benchmark die without its finally blocks, redis does not outlive it.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { process.off('exit', onExit); resolve(); }));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (!alive()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (alive()) child.kill('SIGKILL'); }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor('redis-server ready', async () => {
      if (!alive()) throw new Error(`redis-server exited: ${out.slice(-2_000)}`);
      return out.includes('Ready to accept connections');
    }, 15_000, 50);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid!, version: redisVersion(binary), stop };
}
