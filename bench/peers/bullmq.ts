// BullMQ on a redis-server the benchmark starts itself; each job's return value kept (removeOnComplete: false).
import { Queue } from 'bullmq';
import { packageVersion, workerScript, type Peer } from './peer';
import { findRedisServer, startRedis } from './redis';

export const bullmq: Peer = {
  id: 'bullmq',
  name: 'BullMQ',
  script: workerScript('bullmq.ts'),
  note: 'return value kept on each job (removeOnComplete: false); Redis AOF, appendfsync everysec, RDB snapshots off',
  async prepare(_ctx, w) {
    const binary = findRedisServer();
    if (!binary) return { skipped: 'redis-server not found (npm run setup installs it when it can)' };
    const redis = await startRedis(binary);
    try {
      const queue = new Queue('bench', {
        connection: { host: '127.0.0.1', port: redis.port },
        defaultJobOptions: { removeOnComplete: false, removeOnFail: false },
      });
      await queue.waitUntilReady();
      return {
        system: `BullMQ ${packageVersion('bullmq')} on Redis ${redis.version}`,
        worker: { url: `redis://127.0.0.1:${redis.port}`, queue: queue.name, concurrency: w.concurrency },
        producer: {
          enqueue: async (i) => { await queue.add('noop', { i }); },
          progress: async () => {
            const c = await queue.getJobCounts('completed', 'failed');
            return { finished: c.completed ?? 0, failed: c.failed ?? 0 };
          },
          close: () => queue.close(),
        },
        stop: () => redis.stop(),
      };
    } catch (error) {
      await redis.stop();
      throw error;
    }
  },
};
