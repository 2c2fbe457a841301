// Boilerplate shared by the benchmarks: a fresh database, a master process, a group and an enrolment token for it.
import path from 'node:path';
import { tempDir, withClient } from './cluster';
import { startMasterProcess, type MasterProcess } from './master';
import type { BenchContext } from './types';

export interface Stage {
  databaseUrl: string;
  master: MasterProcess;
  groupId: string;
  token: string;
  logFile: string;
}

export async function stage(ctx: BenchContext, name: string, env: Record<string, string> = {}): Promise<Stage> {
  const databaseUrl = await ctx.cluster.freshDatabase(`bench_${name}`);
  if (process.env.BENCH_PG_ASYNC_COMMIT) {
    // Diagnostic only: how much of the time is WAL fsync per commit (loses durability; never the default).
    const db = new URL(databaseUrl).pathname.slice(1);
    await withClient(databaseUrl, (c) => c.query(`alter database ${db} set synchronous_commit = off`));
    ctx.log(`${name}: synchronous_commit = off (diagnostic)`);
  }
  const dataDir = await tempDir(`baton-bench-${name}-`);
  const logFile = path.join(dataDir, 'master.log');
  const master = await startMasterProcess({ databaseUrl, dataDir, logFile, env, cpuProfDir: ctx.cpuProfDir ?? undefined });
  try {
    const group = await master.api.call('groups.create', { name: 'bench' });
    const { secret } = await master.api.call('enrolments.create', { label: `bench ${name}`, groupId: group.id });
    ctx.log(`${name}: master pid ${master.pid}, log ${logFile}`);
    return { databaseUrl, master, groupId: group.id, token: secret, logFile };
  } catch (error) {
    await master.stop();
    throw error;
  }
}
