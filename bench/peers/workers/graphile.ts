// A graphile-worker process: one runner with the configured concurrency, quiet except for errors.
import { Logger, run } from 'graphile-worker';
import { serveJobs } from '../worker-process';

const logger = new Logger(() => (level, message) => {
  if (level === 'error') console.error(`graphile-worker ${process.pid}: ${message}`);
});

await serveJobs(async (config, handled) => {
  const runner = await run({
    connectionString: config.url, concurrency: config.concurrency, noHandleSignals: true, logger,
    taskList: { [config.queue]: async () => { handled(); } },
  });
  return () => runner.stop();
});
