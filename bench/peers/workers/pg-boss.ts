// A pg-boss worker process: `concurrency` work() loops of one job each (what pg-boss 11+ calls localConcurrency).
import PgBoss from 'pg-boss';
import { serveJobs } from '../worker-process';

// pg-boss refuses a polling interval under 0.5 s; its default is 2 s.
const POLLING_S = 0.5;

await serveJobs(async (config, handled) => {
  const boss = new PgBoss({ connectionString: config.url, supervise: false, schedule: false, migrate: false });
  boss.on('error', (error: Error) => console.error(`pg-boss worker ${process.pid}: ${error.message}`));
  await boss.start();
  for (let i = 0; i < config.concurrency; i++) {
    await boss.work(config.queue, { batchSize: 1, pollingIntervalSeconds: POLLING_S }, async () => {
      handled();
      return { ok: true };
    });
  }
  return () => boss.stop({ graceful: true, wait: true, timeout: 10_000 });
});
