// graphile-worker on its own database of the bench's PostgreSQL. It deletes a job once it succeeds (it keeps no
// result), so "finished" is jobs enqueued minus jobs still in its table.
import { makeWorkerUtils } from 'graphile-worker';
import { packageVersion, workerScript, type Peer } from './peer';

const TASK = 'noop';

export const graphileWorker: Peer = {
  id: 'graphile-worker',
  name: 'graphile-worker',
  script: workerScript('graphile.ts'),
  note: 'completed jobs deleted (graphile-worker keeps no result); LISTEN/NOTIFY wakes the workers',
  async prepare(ctx, w) {
    const url = await ctx.cluster.freshDatabase('bench_graphile');
    const utils = await makeWorkerUtils({ connectionString: url });
    await utils.migrate();
    let enqueued = 0;
    return {
      system: `graphile-worker ${packageVersion('graphile-worker')}`,
      worker: { url, queue: TASK, concurrency: w.concurrency },
      producer: {
        enqueue: async (i) => {
          await utils.addJob(TASK, { i });
          enqueued++;
        },
        progress: async () => {
          const { rows } = await utils.withPgClient((c) => c.query<{ left: number; failed: number }>(
            `select count(*)::int as left, count(*) filter (where attempts >= max_attempts)::int as failed from graphile_worker.jobs`));
          const { left, failed } = rows[0]!;
          return { finished: enqueued - left, failed };
        },
        close: async () => { await utils.release(); },
      },
      stop: async () => undefined,
    };
  },
};
