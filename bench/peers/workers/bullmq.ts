// A BullMQ worker process for the dispatch benchmark: no-op jobs, the configured concurrency, a result per job.
import { Worker } from 'bullmq';
import { serveJobs } from '../worker-process';

await serveJobs(async (config, handled) => {
  const url = new URL(config.url);
  const worker = new Worker(config.queue, async () => {
    handled();
    return { ok: true };
  }, { connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null }, concurrency: config.concurrency });
  worker.on('error', (error) => console.error(`bullmq worker ${process.pid}: ${error.message}`));
  await worker.waitUntilReady();
  return () => worker.close();
});
