// Agenda 6 with @agendajs/postgres-backend on its own database of the bench's PostgreSQL; finished jobs stay stored
// with last_finished_at (Agenda keeps no return value).
import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda } from 'agenda';
import pg from 'pg';
import { packageVersion, workerScript, type Peer } from './peer';

const JOB = 'noop';

export const agenda: Peer = {
  id: 'agenda',
  name: 'Agenda',
  script: workerScript('agenda.ts'),
  note: 'job kept with last_finished_at (no return value stored); now() jobs, LISTEN/NOTIFY wakes the workers; maxConcurrency and job concurrency 64',
  async prepare(ctx, w) {
    const url = await ctx.cluster.freshDatabase('bench_agenda');
    // The producer creates the table before any worker connects; it never processes jobs (it is never started).
    const pool = new pg.Pool({ connectionString: url });
    const producer = new Agenda({ backend: new PostgresBackend({ pool }) });
    await producer.ready;
    return {
      system: `Agenda ${packageVersion('agenda')} (postgres-backend ${packageVersion('@agendajs/postgres-backend')})`,
      worker: { url, queue: JOB, concurrency: w.concurrency },
      producer: {
        enqueue: async (i) => { await producer.now(JOB, { i }); },
        progress: async () => {
          const { rows } = await pool.query<{ finished: number; failed: number }>(
            `select count(*) filter (where last_finished_at is not null and failed_at is null)::int as finished,
               count(*) filter (where failed_at is not null)::int as failed from agenda_jobs`);
          return rows[0]!;
        },
        close: async () => {
          await producer.stop();
          await pool.end();
        },
      },
      stop: async () => undefined,
    };
  },
};
