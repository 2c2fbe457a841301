// An Agenda 6 worker process on @agendajs/postgres-backend, running no-op jobs at the configured concurrency.
import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda } from 'agenda';
import { serveJobs } from '../worker-process';

await serveJobs(async (config, handled) => {
  const agenda = new Agenda({
    // The producer created the table; eight workers running its CREATE/ALTER at once fail with "tuple concurrently updated".
    backend: new PostgresBackend({ connectionString: config.url, ensureSchema: false }),
    maxConcurrency: config.concurrency, defaultConcurrency: config.concurrency,
  });
  agenda.on('error', (error: Error) => console.error(`agenda worker ${process.pid}: ${error.message}`));
  agenda.define(config.queue, async () => { handled(); }, { concurrency: config.concurrency });
  await agenda.start();
  return () => agenda.stop(true);
});
