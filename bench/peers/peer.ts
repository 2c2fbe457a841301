// What each peer system gives the side-by-side measurement: its store made ready, a producer, and its worker script.
import fs from 'node:fs';
import path from 'node:path';
import type { BenchContext } from '../lib/types';
import type { SystemId } from './table';
import type { WorkerConfig } from './worker-protocol';
import type { Workload } from './workload';

export interface Producer {
  /** One enqueue call for job i, as that system's producer makes it. */
  enqueue(i: number): Promise<void>;
  /** What the store says now: jobs finished with their result kept, and jobs that ended failed. */
  progress(): Promise<{ finished: number; failed: number }>;
  close(): Promise<void>;
}

export interface Prepared {
  /** The row's label, with the versions measured. */
  system: string;
  worker: WorkerConfig;
  producer: Producer;
  /** Stops whatever prepare() started (e.g. redis-server), after the producer is closed. */
  stop(): Promise<void>;
}

export interface Peer {
  id: SystemId;
  name: string;
  /** The child-process script the worker processes run. */
  script: string;
  /** What the system keeps of a finished job and how it was configured: the table's note. */
  note: string;
  /** Makes the store ready (schema migrated before any worker starts, so they do not race to create it). */
  prepare(ctx: BenchContext, w: Workload): Promise<Prepared | { skipped: string }>;
}

/** The installed version of an npm package, for the row label. */
export function packageVersion(name: string): string {
  const file = path.resolve('node_modules', name, 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

export const workerScript = (file: string) => path.resolve('bench/peers/workers', file);
