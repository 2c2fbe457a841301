// What the benchmark and its peer worker processes say to each other over the fork IPC channel, parsed on both sides.
import { z } from 'zod';

/** The env variable that carries a worker process's config (JSON). */
export const CONFIG_ENV = 'BENCH_PEER_WORKER';

export const workerConfigSchema = z.object({
  /** Where the system's store is: a redis:// or postgres:// URL. */
  url: z.string().min(1),
  /** Queue, task or job name the producer enqueues under. */
  queue: z.string().min(1),
  concurrency: z.number().int().positive(),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export const toWorker = z.object({ type: z.literal('stop') });
export type ToWorker = z.infer<typeof toWorker>;

export const fromWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** Handled = jobs the process's handler ran: summed over the processes it shows lost or doubled jobs. */
  z.object({ type: z.literal('stopped'), handled: z.number().int().nonnegative() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type FromWorker = z.infer<typeof fromWorker>;
