// Master memory and CPU while 1,000 simulated agents (one separate process) hold connections and heartbeat
// every second. The master runs in its own process and samples itself (RSS, CPU, event-loop delay).
import { withClient } from './lib/cluster';
import type { MasterSample } from './lib/master';
import { simAgents } from './lib/sim';
import { stage } from './lib/setup';
import type { BenchContext, BenchResult } from './lib/types';
import { round, sleep, waitFor } from './lib/util';

const AGENTS = 1_000;
const IDLE_S = 5;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const holdS = ctx.quick ? 10 : 30;
  const s = await stage(ctx, 'agents');
  const sim = await simAgents(s, AGENTS);
  try {
    await s.master.sample();
    const idle: MasterSample[] = [];
    for (let i = 0; i < IDLE_S; i++) {
      await sleep(1_000);
      idle.push(await s.master.sample());
    }
    sim.go();
    const connectStart = performance.now();
    await waitFor(`${AGENTS} simulated agents connected`, async () => sim.status().connected >= AGENTS || sim.status().refused > 0, 120_000, 200);
    if (sim.status().refused > 0) throw new Error(`${sim.status().refused} simulated agents were refused`);
    const connectS = (performance.now() - connectStart) / 1_000;
    ctx.log(`agents: ${sim.status().connected} connected in ${round(connectS)} s; holding ${holdS} s`);
    await s.master.sample(); // resets the CPU window
    const beatsBefore = sim.status().beats;
    const held: MasterSample[] = [];
    const t0 = performance.now();
    for (let i = 0; i < holdS; i++) {
      await sleep(1_000);
      held.push(await s.master.sample());
    }
    const beatRate = (sim.status().beats - beatsBefore) / ((performance.now() - t0) / 1_000);
    const online = await withClient(s.databaseUrl, async (c) => (await c.query<{ n: number; fresh: number }>(
      `select count(*) filter (where online)::int as n,
              count(*) filter (where online and last_heartbeat_at > now() - interval '5 seconds')::int as fresh from workers`)).rows[0]!);
    return {
      name: 'agents',
      rows: [
        { metric: `no agents (${IDLE_S} s): master RSS; CPU`, value: `${round(mean(idle.map((x) => x.rssMb)))} MB; ${round(mean(idle.map((x) => x.cpuPct)))} %` },
        { metric: `${AGENTS} simulated agents, heartbeat 1 s, held ${holdS} s: master RSS`, value: `mean ${round(mean(held.map((x) => x.rssMb)))} MB, max ${round(Math.max(...held.map((x) => x.rssMb)))} MB` },
        { metric: 'master CPU (one core = 100 %)', value: `mean ${round(mean(held.map((x) => x.cpuPct)))} %, max ${round(Math.max(...held.map((x) => x.cpuPct)))} %` },
        { metric: 'master event-loop delay p99 (per 1 s sample)', value: `mean ${round(mean(held.map((x) => x.loopP99Ms)))} ms, max ${round(Math.max(...held.map((x) => x.loopMaxMs)))} ms` },
        { metric: 'connect time; heartbeats sent/s; workers online (fresh heartbeat in DB)', value: `${round(connectS)} s; ${round(beatRate)}/s; ${online.n} (${online.fresh})` },
      ],
      data: { agents: AGENTS, holdS, idle, connectS, heartbeatsPerS: beatRate, online, samples: held },
    };
  } finally {
    await sim.stop();
    await s.master.stop();
  }
}
