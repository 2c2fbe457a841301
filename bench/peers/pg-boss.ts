// pg-boss on its own database of the bench's PostgreSQL; completed jobs keep their state and output (archived after 12 h).
import PgBoss from 'pg-boss';
import { packageVersion, workerScript, type Peer } from './peer';

const QUEUE = 'bench';

export const pgBoss: Peer = {
  id: 'pg-boss',
  name: 'pg-boss',
  script: workerScript('pg-boss.ts'),
  note: 'state completed + output kept per job; each process runs 64 work() loops (batch 1) polling every 0.5 s, its minimum',
  async prepare(ctx, w) {
    const url = await ctx.cluster.freshDatabase('bench_pgboss');
    // The producer installs the schema; the workers start with migrate: false so they do not race to create it.
    const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
    boss.on('error', (error: Error) => ctx.log(`pg-boss producer: ${error.message}`));
    await boss.start();
    await boss.createQueue(QUEUE);
    return {
      system: `pg-boss ${packageVersion('pg-boss')}`,
      worker: { url, queue: QUEUE, concurrency: w.concurrency },
      producer: {
        enqueue: async (i) => {
          if ((await boss.send(QUEUE, { i })) === null) throw new Error('send returned no job id');
        },
        progress: async () => {
          const { rows } = await boss.getDb().executeSql(
            `select count(*) filter (where state = 'completed')::int as finished, count(*) filter (where state = 'failed')::int as failed
             from pgboss.job where name = $1`, [QUEUE]);
          return rows[0] as { finished: number; failed: number };
        },
        close: () => boss.stop({ graceful: false, wait: true }),
      },
      stop: async () => undefined,
    };
  },
};
