// The pure pieces of the side-by-side dispatch benchmark (issue 11): workload knobs, peer selection, the redis command
// line, the table and its ratios, the Baton ≥ BullMQ verdict.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selectPeers } from '../../bench/peers/index';
import { findRedisServer, redisArgs } from '../../bench/peers/redis';
import { batonVsBullmq, sideBySide, type Outcome } from '../../bench/peers/table';
import { describeWorkload, resolveWorkload } from '../../bench/peers/workload';

const measured = (id: Outcome['id'], system: string, jobsPerS: number, finished = 10_000): Outcome => ({
  id, system, kind: 'measured', jobsPerS, seconds: 10_000 / jobsPerS, finished, expected: 10_000, note: `${system} note`,
});
// The figures of issue 11's first measurement.
const ISSUE_RUN: Outcome[] = [
  measured('baton', 'Baton', 2_362),
  measured('bullmq', 'BullMQ', 4_034),
  measured('pg-boss', 'pg-boss', 263),
  measured('graphile-worker', 'graphile-worker', 320),
  measured('agenda', 'Agenda', 380),
];

const rowOf = (table: string, system: string) => table.split('\n').find((l) => l.startsWith(`| ${system} |`))!.split(' | ');

describe('dispatch workload', () => {
  it('is the issue 11 workload by default and a fifth of the jobs with --quick, for every system alike', () => {
    expect(resolveWorkload({}, false)).toEqual({ ok: true, workload: { jobs: 10_000, workers: 8, concurrency: 64, inFlight: 256, quick: false } });
    expect(resolveWorkload({}, true)).toEqual({ ok: true, workload: { jobs: 2_000, workers: 8, concurrency: 64, inFlight: 256, quick: true } });
  });

  it('takes BENCH_DISPATCH_RUNS and BENCH_DISPATCH_IN_FLIGHT over the defaults; an empty knob is unset', () => {
    const r = resolveWorkload({ BENCH_DISPATCH_RUNS: '500', BENCH_DISPATCH_IN_FLIGHT: '32' }, true);
    expect(r.ok && r.workload).toMatchObject({ jobs: 500, inFlight: 32 });
    expect(resolveWorkload({ BENCH_DISPATCH_RUNS: '' }, false)).toMatchObject({ ok: true, workload: { jobs: 10_000 } });
  });

  it.each(['abc', '0', '-5', '1.5', '1e9'])('refuses BENCH_DISPATCH_RUNS=%s, naming the knob', (raw) => {
    const r = resolveWorkload({ BENCH_DISPATCH_RUNS: raw }, false);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ code: 'bad_bench_env', message: expect.stringContaining(`BENCH_DISPATCH_RUNS="${raw}"`) });
  });

  it('says in its description when --quick shortened it', () => {
    const full = resolveWorkload({}, false);
    const quick = resolveWorkload({}, true);
    expect(full.ok && describeWorkload(full.workload)).toBe('10,000 no-op jobs, 8 worker processes × concurrency 64, 256 enqueue calls in flight');
    expect(quick.ok && describeWorkload(quick.workload)).toContain('2,000 no-op jobs');
    expect(quick.ok && describeWorkload(quick.workload)).toContain('--quick');
  });
});

describe('BENCH_DISPATCH_PEERS', () => {
  const ids = (raw: string | undefined) => {
    const s = selectPeers(raw);
    return s.ok ? s.peers.map((p) => p.id) : s.error;
  };

  it('runs every peer when unset, none with "none", a subset in the table order otherwise', () => {
    expect(ids(undefined)).toEqual(['bullmq', 'pg-boss', 'graphile-worker', 'agenda']);
    expect(ids('none')).toEqual([]);
    expect(ids(' agenda, bullmq ')).toEqual(['bullmq', 'agenda']);
  });

  it('refuses an unknown peer, naming it and the choices', () => {
    expect(ids('bullmq,sidekiq')).toEqual({ code: 'bad_bench_env', message: expect.stringMatching(/unknown peer\(s\) sidekiq; .*bullmq, pg-boss, graphile-worker, agenda/) });
  });
});

describe('redis-server command line', () => {
  it('listens on loopback only, on the given port, with the AOF fsynced every second and no RDB snapshots', () => {
    const args = redisArgs({ port: 40123, dir: '/tmp/r' });
    const opt = (name: string) => args[args.indexOf(`--${name}`) + 1];
    expect(opt('bind')).toBe('127.0.0.1');
    expect(opt('port')).toBe('40123');
    expect(opt('dir')).toBe('/tmp/r');
    expect(opt('appendonly')).toBe('yes');
    expect(opt('appendfsync')).toBe('everysec');
    expect(opt('save')).toBe('');
    expect(opt('daemonize')).toBe('no');
  });

  it.each([0, 65_536, 1.5, Number.NaN])('refuses port %s', (port) => {
    expect(() => redisArgs({ port, dir: '/tmp/r' })).toThrow(/is not a TCP port/);
  });

  it('refuses a relative dir (redis would resolve it against its own working directory)', () => {
    expect(() => redisArgs({ port: 6380, dir: 'data' })).toThrow(/must be an absolute path/);
  });
});

describe('finding redis-server', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-redis-path-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const dirWith = (name: string, mode: number | null) => {
    const dir = fs.mkdtempSync(path.join(root, 'bin-'));
    if (mode !== null) fs.writeFileSync(path.join(dir, name), '#!/bin/sh\n', { mode });
    return dir;
  };

  it('finds the first executable redis-server on the search path', () => {
    const first = dirWith('redis-server', 0o755);
    expect(findRedisServer([dirWith('other', 0o755), first, dirWith('redis-server', 0o755)].join(path.delimiter))).toBe(path.join(first, 'redis-server'));
  });

  it('is null (BullMQ skipped) when none is there, or the one there cannot be run', () => {
    expect(findRedisServer([dirWith('other', 0o755), dirWith('redis-server', 0o644)].join(path.delimiter))).toBeNull();
    expect(findRedisServer('')).toBeNull();
  });
});

describe('side-by-side table', () => {
  const table = sideBySide(ISSUE_RUN, '10,000 no-op jobs');

  it('has one row per system with jobs/s, the ratio to BullMQ and Baton over that system', () => {
    expect(table).toContain('| system | jobs/s end to end | ÷ BullMQ | Baton ÷ system | notes |');
    expect(rowOf(table, 'Baton').slice(1, 4)).toEqual(['2,362 (4.23 s)', '0.59×', '–']);
    expect(rowOf(table, 'BullMQ').slice(1, 4)).toEqual(['4,034 (2.48 s)', '1.00×', '0.59×']);
    expect(rowOf(table, 'Agenda').slice(1, 4)).toEqual(['380 (26.32 s)', '0.09×', '6.22×']);
    expect(rowOf(table, 'pg-boss').slice(1, 4)).toEqual(['263 (38.02 s)', '0.07×', '8.98×']);
  });

  it('ends with the target row: missed at 0.59×, with both figures', () => {
    expect(table.split('\n').at(-1)).toBe('| **Baton ≥ BullMQ (stretch 1.5×)** | **missed** | | | 0.59×: Baton 2,362 vs BullMQ 4,034 jobs/s; stretch 1.5× missed |');
  });

  it('shows a skipped BullMQ with its reason, no ratios to it, and no verdict', () => {
    const noRedis = ISSUE_RUN.map((o): Outcome => (o.id === 'bullmq' ? { id: 'bullmq', system: 'BullMQ', kind: 'skipped', reason: 'redis-server not found', note: '' } : o));
    const t = sideBySide(noRedis, 'w');
    expect(rowOf(t, 'BullMQ').slice(1, 4)).toEqual(['skipped: redis-server not found', '–', '–']);
    expect(rowOf(t, 'Agenda').slice(1, 4)).toEqual(['380 (26.32 s)', '–', '6.22×']);
    expect(batonVsBullmq(noRedis)).toEqual({ value: 'not measured (BullMQ: skipped: redis-server not found)' });
    expect(t).toContain('| no verdict |');
  });

  it('keeps a failed system in the table with its error, and escapes pipes in cells', () => {
    const failed: Outcome[] = [...ISSUE_RUN.slice(0, 2), { id: 'agenda', system: 'Agenda', kind: 'failed', error: 'timed out | 12 finished', note: 'n' }];
    expect(rowOf(sideBySide(failed, 'w'), 'Agenda')[1]).toBe('failed: timed out \\| 12 finished');
  });
});

describe('Baton ≥ BullMQ verdict', () => {
  it('is met at or above 1×, and says whether the 1.5× stretch was met', () => {
    expect(batonVsBullmq([measured('baton', 'Baton', 4_034), measured('bullmq', 'BullMQ', 4_034)])).toEqual({ value: '1.00×: Baton 4,034 vs BullMQ 4,034 jobs/s; stretch 1.5× missed', met: true });
    expect(batonVsBullmq([measured('baton', 'Baton', 6_100), measured('bullmq', 'BullMQ', 4_034)])).toMatchObject({ value: expect.stringContaining('1.51×: Baton 6,100 vs BullMQ 4,034 jobs/s; stretch 1.5× met'), met: true });
    expect(batonVsBullmq([measured('baton', 'Baton', 4_000), measured('bullmq', 'BullMQ', 4_034)]).met).toBe(false);
  });

  it('is missed when Baton was faster but did not finish every run (a faster path that drops runs is not faster)', () => {
    const v = batonVsBullmq([measured('baton', 'Baton', 9_000, 9_990), measured('bullmq', 'BullMQ', 4_034)]);
    expect(v).toEqual({ value: expect.stringContaining('Baton finished only 9990 of 10000'), met: false });
    expect(rowOf(sideBySide([measured('baton', 'Baton', 9_000, 9_990)], 'w'), 'Baton')[4]).toContain('**only 9,990 of 10,000 finished**');
  });

  it('gives no verdict when Baton itself failed', () => {
    const v = batonVsBullmq([{ id: 'baton', system: 'Baton', kind: 'failed', error: 'master died', note: '' }, measured('bullmq', 'BullMQ', 4_034)]);
    expect(v).toEqual({ value: 'not measured (Baton: failed: master died)' });
  });
});
