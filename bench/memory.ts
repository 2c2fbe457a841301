// Memory (issue 11): master RSS holding 10,000 tasks with 1,000 agents connected (< 300 MB), and the RSS of one
// real, idle baton-agent process (< 60 MB), with its run reaper (a second process on every agent host) beside it.
// The simulated agents are bench/sim-agents.ts, as in bench/agents.ts.
import fs from 'node:fs/promises';
import { startAgents, stopAgents, type AgentProcess } from './lib/agents';
import type { MasterSample } from './lib/master';
import { simAgents } from './lib/sim';
import { stage } from './lib/setup';
import type { BenchContext, BenchResult } from './lib/types';
import { round, sleep, waitFor } from './lib/util';

const TASKS = 10_000;
const AGENTS = 1_000;
const MASTER_TARGET_MB = 300;
const AGENT_TARGET_MB = 60;
// definitions.apply takes at most 1,000 tasks per document (schemas/baton-v1.schema.json).
const PER_IMPORT = 1_000;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Resident set size of a process by PID, from /proc (Linux: where these benchmarks run). */
async function rssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS for process ${pid}`);
  return kb / 1_024;
}

/** 10,000 tasks, each on a daily cron at its own minute (they hardly fire while measured), through the import API. */
async function importTasks(s: Awaited<ReturnType<typeof stage>>): Promise<number> {
  const t0 = performance.now();
  for (let from = 0; from < TASKS; from += PER_IMPORT) {
    const tasks = Array.from({ length: PER_IMPORT }, (_, k) => {
      const i = from + k;
      return { name: `task-${i}`, group: 'bench', handler: 'noop', trigger: { type: 'cron', expression: `0 ${i % 60} ${i % 24} * * *`, timezone: 'UTC' } };
    });
    const plan = await s.master.api.call('definitions.apply', { text: JSON.stringify({ format: 'baton/v1', exportedAt: new Date().toISOString(), tasks }), onConflict: 'skip' });
    void plan;
  }
  return (performance.now() - t0) / 1_000;
}

/** The reaper is the agent's only child while it runs nothing (processes/watchdog.ts). */
async function reaperOf(agentPid: number): Promise<number> {
  const children = (await fs.readFile(`/proc/${agentPid}/task/${agentPid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new Error(`agent ${agentPid} has ${children.length} child processes, expected its reaper alone`);
  return Number(children[0]);
}

async function samples(count: number, take: () => Promise<MasterSample>): Promise<MasterSample[]> {
  const out: MasterSample[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(1_000);
    out.push(await take());
  }
  return out;
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const holdS = ctx.quick ? 10 : 30;
  const s = await stage(ctx, 'memory');
  let agent: AgentProcess[] = [];
  const sim = await simAgents(s, AGENTS);
  try {
    const empty = await samples(3, () => s.master.sample());
    const importS = await importTasks(s);
    const stored = (await s.master.api.call('tasks.list', {})).length;
    if (stored < TASKS) throw new Error(`only ${stored} of ${TASKS} tasks stored`);
    ctx.log(`memory: ${TASKS} tasks imported in ${round(importS)} s`);
    const withTasks = await samples(5, () => s.master.sample());

    // One real agent, idle: connected, heartbeating, nothing to run.
    agent = await startAgents(s.master.agentUrl, s.token, { count: 1, group: 'bench', capacity: 4, prefix: 'idle' });
    await waitFor('the real agent online', async () => (await s.master.api.call('workers.list', {})).some((w) => w.name === 'idle-0' && w.status === 'online'), 120_000);
    const agentRss: number[] = [];
    const reaperRss: number[] = [];
    const reaper = await reaperOf(agent[0]!.pid);
    for (let i = 0; i < (ctx.quick ? 5 : 15); i++) {
      await sleep(1_000);
      agentRss.push(await rssMb(agent[0]!.pid));
      reaperRss.push(await rssMb(reaper));
    }
    ctx.log(`memory: idle agent RSS max ${round(Math.max(...agentRss))} MB`);

    sim.go();
    // On a loaded machine some connections time out (counted as refused): the figure says how many were held.
    await waitFor(`${AGENTS} simulated agents connected`, async () => sim.status().connected + sim.status().refused >= AGENTS, 180_000, 200);
    const connected = sim.status().connected;
    const held = await samples(holdS, () => s.master.sample());
    const masterMax = Math.max(...held.map((x) => x.rssMb));
    const agentMax = Math.max(...agentRss);
    return {
      name: 'memory',
      rows: [
        { metric: 'master RSS: empty → 10,000 tasks (heap)', value: `${round(mean(empty.map((x) => x.rssMb)))} → ${round(mean(withTasks.map((x) => x.rssMb)))} MB (${round(mean(empty.map((x) => x.heapMb)))} → ${round(mean(withTasks.map((x) => x.heapMb)))} MB)` },
        { metric: `master RSS with ${TASKS} tasks and ${connected} of ${AGENTS} simulated agents + 1 real, held ${holdS} s (heap)`, value: `mean ${round(mean(held.map((x) => x.rssMb)))} MB, max ${round(masterMax)} MB (heap mean ${round(mean(held.map((x) => x.heapMb)))} MB)`, target: `< ${MASTER_TARGET_MB} MB`, met: masterMax < MASTER_TARGET_MB && connected === AGENTS },
        { metric: 'real baton-agent RSS, idle (connected, heartbeating)', value: `mean ${round(mean(agentRss))} MB, max ${round(agentMax)} MB`, target: `< ${AGENT_TARGET_MB} MB`, met: agentMax < AGENT_TARGET_MB },
        { metric: 'its run reaper\'s RSS (a second process per agent)', value: `mean ${round(mean(reaperRss))} MB, max ${round(Math.max(...reaperRss))} MB` },
        { metric: 'master CPU while holding', value: `mean ${round(mean(held.map((x) => x.cpuPct)))} %` },
        { metric: `importing ${TASKS} tasks (${TASKS / PER_IMPORT} × definitions.apply)`, value: `${round(importS)} s` },
      ],
      data: { tasks: TASKS, agents: AGENTS, connected, refused: sim.status().refused, holdS, importS, empty, withTasks, held, agentRssMb: agentRss, reaperRssMb: reaperRss },
    };
  } finally {
    await sim.stop();
    await stopAgents(agent);
    await s.master.stop();
  }
}
