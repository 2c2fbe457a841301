// The dispatch workload every system in the side-by-side table runs (issue 11), resolved once from env and --quick.
import { z } from 'zod';

export interface Workload {
  /** No-op jobs enqueued, one enqueue call each. */
  jobs: number;
  /** Worker processes (Baton: agent processes). */
  workers: number;
  /** Jobs each worker process runs at once. */
  concurrency: number;
  /** Enqueue calls in flight. */
  inFlight: number;
  quick: boolean;
}

export const FULL_JOBS = 10_000;
// --quick: the same shape at a fifth of the jobs, for every system alike.
export const QUICK_JOBS = 2_000;
const WORKERS = 8;
const CONCURRENCY = 64;
const IN_FLIGHT = 256;

export type WorkloadResult = { ok: true; workload: Workload } | { ok: false; error: { code: 'bad_bench_env'; message: string } };

const count = z.coerce.number().int().positive().max(10_000_000);
const knobs = {
  BENCH_DISPATCH_RUNS: 'jobs',
  BENCH_DISPATCH_IN_FLIGHT: 'inFlight',
} as const;

/** The workload from the env knobs (BENCH_DISPATCH_RUNS, BENCH_DISPATCH_IN_FLIGHT) over the defaults; a bad knob is named. */
export function resolveWorkload(env: Record<string, string | undefined>, quick: boolean): WorkloadResult {
  const workload: Workload = { jobs: quick ? QUICK_JOBS : FULL_JOBS, workers: WORKERS, concurrency: CONCURRENCY, inFlight: IN_FLIGHT, quick };
  for (const [name, field] of Object.entries(knobs) as Array<[keyof typeof knobs, 'jobs' | 'inFlight']>) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = count.safeParse(raw);
    if (!parsed.success) {
      return { ok: false, error: { code: 'bad_bench_env', message: `${name}=${JSON.stringify(raw)} is not a whole number from 1 to 10,000,000; unset it or give e.g. ${name}=2000.` } };
    }
    workload[field] = parsed.data;
  }
  return { ok: true, workload };
}

/** How the workload reads in a table note. */
export function describeWorkload(w: Workload): string {
  const quick = w.quick ? ' (--quick: fewer jobs, for every system alike)' : '';
  return `${w.jobs.toLocaleString('en-US')} no-op jobs, ${w.workers} worker processes × concurrency ${w.concurrency}, ${w.inFlight} enqueue calls in flight${quick}`;
}
