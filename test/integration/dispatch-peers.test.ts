// The dispatch benchmark's peer machinery with real parts (issue 11): a real redis-server, every peer through its real
// worker processes on its real store, a worker process that cannot start. Outcomes only; no timing is asserted.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../../bench/lib/cluster';
import type { BenchContext } from '../../bench/lib/types';
import { graphileWorker } from '../../bench/peers/graphile';
import { PEERS } from '../../bench/peers/index';
import { measurePeer } from '../../bench/peers/measure';
import { workerScript } from '../../bench/peers/peer';
import { findRedisServer, startRedis } from '../../bench/peers/redis';
import { startWorkerPool } from '../../bench/peers/worker-pool';
import type { Workload } from '../../bench/peers/workload';
import { freshDatabase } from './harness';

const small: Workload = { jobs: 60, workers: 2, concurrency: 8, inFlight: 16, quick: true };
const ctx: BenchContext = {
  cluster: { url: '', freshDatabase: () => freshDatabase(), stop: async () => undefined },
  quick: true, cpuProfDir: null, log: () => undefined,
};
const redisBinary = findRedisServer();

/** PIDs of this test process's children (a worker or redis-server left running would show here). */
function children(): number[] {
  try {
    const lines = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n');
    // ps lists itself.
    return lines.map((l) => l.trim().split(/\s+/)).filter(([pid, comm]) => pid && comm !== 'ps').map(([pid]) => Number(pid));
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function answers(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (d) => { resolve(d.toString().trim()); socket.destroy(); });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

afterAll(() => removeTempDirs());

describe.skipIf(!redisBinary)('BullMQ on the bench redis-server', () => {
  it('starts redis on loopback with the AOF on, and stops it by its PID', async () => {
    const redis = await startRedis(redisBinary!);
    expect(await answers(redis.port)).toBe('+PONG');
    const config = execFileSync('redis-cli', ['-p', String(redis.port), 'config', 'get', 'append*'], { encoding: 'utf8' }).split('\n');
    expect(config).toEqual(expect.arrayContaining(['appendonly', 'yes', 'appendfsync', 'everysec']));
    await redis.stop();
    expect(() => process.kill(redis.pid, 0)).toThrow(/ESRCH/);
    expect(await answers(redis.port)).toBe('ECONNREFUSED');
  });
});

// One suite for every peer (STYLE 12): the same small workload through real worker processes on the real store.
describe.each(PEERS.map((p) => [p.name, p] as const))('%s through its worker processes', (_name, peer) => {
  it.skipIf(peer.id === 'bullmq' && !redisBinary)('runs every job once, as its store counts it, and leaves no process behind', async () => {
    const o = await measurePeer(ctx, peer, small);
    expect(o).toMatchObject({ id: peer.id, kind: 'measured', finished: small.jobs, expected: small.jobs });
    // The notes name any fault: enqueue errors, failed jobs, handlers run a different number of times.
    expect(o.note).toBe(peer.note);
    expect(children()).toEqual([]);
  }, 180_000);
});

describe('worker processes', () => {
  it('a worker that cannot start fails the pool with its reason, and none is left running', async () => {
    const bad = startWorkerPool(workerScript('graphile.ts'), { url: 'postgres://127.0.0.1:1/none', queue: 'noop', concurrency: 0 }, 1);
    await expect(bad).rejects.toThrow(/concurrency/);
    expect(children()).toEqual([]);
  }, 120_000);

  it('a peer whose store is unreachable comes back failed, not thrown, so the other rows still run', async () => {
    const unreachable: BenchContext = { ...ctx, cluster: { ...ctx.cluster, freshDatabase: async () => 'postgres://127.0.0.1:1/none' } };
    const o = await measurePeer(unreachable, graphileWorker, small);
    expect(o).toMatchObject({ id: 'graphile-worker', kind: 'failed', error: expect.stringMatching(/^setup: .*ECONNREFUSED/) });
  }, 60_000);
});
