// Runs one peer system through the dispatch workload, timed as bench/dispatch.ts times Baton: first enqueue to the
// poll that first sees every job's result stored.
import type { BenchContext } from '../lib/types';
import { boundedAll, waitFor } from '../lib/util';
import type { Peer, Prepared } from './peer';
import type { Outcome } from './table';
import { startWorkerPool, type WorkerPool } from './worker-pool';
import type { Workload } from './workload';

// The slowest peer measured (pg-boss, ~260 jobs/s) needs ~40 s for 10,000 jobs; this only stops a hung system.
const DEADLINE_MS = 300_000;
const POLL_MS = 50;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function measurePeer(ctx: BenchContext, peer: Peer, w: Workload): Promise<Outcome> {
  const base = { id: peer.id, note: peer.note };
  let prepared: Prepared | { skipped: string };
  try {
    prepared = await peer.prepare(ctx, w);
  } catch (error) {
    return { ...base, system: peer.name, kind: 'failed', error: `setup: ${message(error)}` };
  }
  if ('skipped' in prepared) return { ...base, system: peer.name, kind: 'skipped', reason: prepared.skipped };
  const { producer } = prepared;
  let pool: WorkerPool | null = null;
  let last = { finished: 0, failed: 0 };
  try {
    pool = await startWorkerPool(peer.script, prepared.worker, w.workers);
    ctx.log(`${peer.name}: ${w.workers} worker processes ready (pids ${pool.pids.join(' ')})`);
    let enqueueErrors = 0;
    let enqueuedAt = 0;
    let firstError = '';
    const t0 = performance.now();
    const enqueuing = boundedAll(w.jobs, w.inFlight, async (i) => {
      await producer.enqueue(i).catch((error: unknown) => { enqueueErrors++; firstError ||= message(error); });
    }).then(() => { enqueuedAt = performance.now(); });
    const progress = setInterval(() => ctx.log(`${peer.name}: ${last.finished} / ${w.jobs} finished`), 5_000);
    let done: number;
    try {
      done = await waitFor(`all ${peer.name} jobs finished or failed`, async () => {
        last = await producer.progress();
        return enqueuedAt > 0 && last.finished + last.failed >= w.jobs - enqueueErrors ? performance.now() : null;
      }, DEADLINE_MS, POLL_MS);
    } finally {
      clearInterval(progress);
    }
    await enqueuing;
    const seconds = (done - t0) / 1_000;
    const stopping = pool;
    pool = null;
    const { handled } = await stopping.stop();
    const faults = [
      enqueueErrors ? `${enqueueErrors} enqueue calls failed (first: ${firstError})` : '',
      last.failed ? `${last.failed} jobs failed` : '',
      handled === null ? 'a worker process did not report its handled count' : handled !== last.finished ? `handlers ran ${handled} times for ${last.finished} finished jobs` : '',
    ].filter(Boolean);
    return {
      ...base, system: prepared.system, kind: 'measured', jobsPerS: last.finished / seconds, seconds, finished: last.finished, expected: w.jobs,
      note: [peer.note, ...faults].join('; '),
    };
  } catch (error) {
    return { ...base, system: prepared.system, kind: 'failed', error: `${message(error)} (${last.finished} finished, ${last.failed} failed)` };
  } finally {
    await pool?.stop();
    await producer.close().catch(() => undefined);
    await prepared.stop();
  }
}
