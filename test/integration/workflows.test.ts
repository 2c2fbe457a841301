// Workflows on real agents: a diamond (A → B, A → C, B + C → D) under each join mode, one child run per generation
// carrying every parent's run id and output, a retry of C, a generation ended for D with a visible reason, parent
// outputs read from the store after a leader change; and routing by label expression with a fixed shard count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JoinMode, Run, TaskInput } from '../../src-main/master/api/contract/domain';
import { freshDatabase, prepare, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

const FINAL = ['succeeded', 'failed', 'timed_out', 'lost', 'cancelled', 'skipped'];
const LEASE_MS = '1500';

let databaseUrl: string;
let first: TestMaster;
let second: TestMaster | null = null;
let groupId: string;
let token: string;
const agents: TestAgent[] = [];
/** Each agent keeps its data folder (its credential) when it is restarted to know both masters. */
const agentDirs: string[] = [];
const LABELS = ['zone=eu', 'zone=eu,gpu=yes', 'zone=us,maintenance=yes'];
let n = 0;

/** Whichever master leads now. */
async function leader(): Promise<TestMaster> {
  for (const m of [first, second]) if (m && m.leading) return m;
  return waitFor('a leader', async () => [first, second].find((m) => m?.leading) ?? null);
}
const api = async () => (await leader()).api;

async function task(name: string, over: Partial<TaskInput>): Promise<string> {
  return (await (await api()).call('tasks.create', { name, groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' }, ...over })).id;
}

async function runsOf(taskId: string): Promise<Run[]> {
  return (await api()).call('runs.list', { taskId });
}

async function settled(taskId: string, count: number, timeoutMs = 60_000): Promise<Run[]> {
  return waitFor(`${count} settled runs`, async () => {
    const runs = await runsOf(taskId);
    return runs.length >= count && runs.every((r) => FINAL.includes(r.state)) ? runs : null;
  }, timeoutMs);
}

/** A diamond whose C fails on its first attempt when `cFails` is 'once' (retried), always when 'always'. */
async function diamond(join: JoinMode, cFails: 'never' | 'once' | 'always', cSleep = 0) {
  const tag = `${join}-${cFails}-${++n}`;
  const a = await task(`A-${tag}`, { params: { command: 'echo from-A' } });
  const b = await task(`B-${tag}`, { params: { command: 'echo from-B' }, trigger: { type: 'parent', parents: [a], on: 'success' } });
  const failing = cFails === 'never' ? '' : cFails === 'once' ? '[ "$BATON_ATTEMPT" -ge 2 ] || exit 1; ' : 'exit 1; ';
  const c = await task(`C-${tag}`, {
    params: { command: `sleep ${cSleep}; ${failing}echo from-C` }, trigger: { type: 'parent', parents: [a], on: 'success' },
    retry: { count: cFails === 'once' ? 1 : 0, backoff: 'fixed', delayMs: 100, maxDelayMs: 100 },
  });
  const d = await task(`D-${tag}`, { params: { command: 'printf %s "$BATON_PARENTS"' }, trigger: { type: 'parent', parents: [b, c], join } });
  return { a, b, c, d };
}

function parentsOf(run: Run): Array<{ runId: string; taskName: string; state: string; output: string }> {
  return JSON.parse(run.output) as Array<{ runId: string; taskName: string; state: string; output: string }>;
}

beforeAll(async () => {
  databaseUrl = await freshDatabase();
  first = await startTestMaster(databaseUrl, { BATON_LEADER_LEASE_MS: LEASE_MS });
  ({ groupId, token } = await prepare(first, 'wf'));
  for (const [i, l] of LABELS.entries()) {
    agentDirs.push(await tempDir('baton-wf-agent-'));
    agents.push(await startAgent(first, token, { name: `wf-${i}`, group: 'wf', args: ['--capacity', '4', '--labels', l], dataDir: agentDirs[i] }));
  }
  await waitFor('3 agents online', async () => (await first.api.call('workers.list', {})).filter((w) => w.status === 'online').length === 3, 90_000);
}, 120_000);
afterAll(async () => {
  for (const a of agents) await a.stop();
  await second?.stop();
  await first?.stop();
});

describe('joins', () => {
  it('all_succeeded: one D run per generation, with both parents\' run ids and outputs, C retried, one trace', async () => {
    const { a, b, c, d } = await diamond('all_succeeded', 'once');
    const [g1] = await (await api()).call('tasks.trigger', { id: a });
    const [g2] = await (await api()).call('tasks.trigger', { id: a });
    const ds = await settled(d, 2);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await runsOf(d)).toHaveLength(2); // never a third: one run per generation
    const cRuns = await runsOf(c);
    expect(cRuns.map((r) => r.state).sort()).toEqual(['failed', 'failed', 'succeeded', 'succeeded']);
    for (const [gen, dRun] of [[g1!, ds.find((r) => r.traceId === g1!.traceId)!], [g2!, ds.find((r) => r.traceId === g2!.traceId)!]] as const) {
      expect(dRun.state).toBe('succeeded');
      const parents = parentsOf(dRun);
      const bRun = (await runsOf(b)).find((r) => r.traceId === gen.traceId)!;
      const cFinal = cRuns.find((r) => r.traceId === gen.traceId && r.state === 'succeeded')!;
      expect(parents.map((p) => [p.runId, p.state, p.output.trim()])).toEqual([[bRun.id, 'succeeded', 'from-B'], [cFinal.id, 'succeeded', 'from-C']]);
    }
  }, 90_000);

  it('all_succeeded: a parent that fails for good ends the generation for D with a visible reason', async () => {
    const { a, d } = await diamond('all_succeeded', 'always');
    await (await api()).call('tasks.trigger', { id: a });
    const [skipped] = await settled(d, 1);
    expect(skipped).toMatchObject({ state: 'skipped', reason: 'upstream_failed', error: expect.stringMatching(/parent C-.* ended failed/) });
  }, 90_000);

  it('all_done: D runs once both have ended, whatever their state', async () => {
    const { a, d } = await diamond('all_done', 'always');
    await (await api()).call('tasks.trigger', { id: a });
    const [run] = await settled(d, 1);
    expect(run!.state).toBe('succeeded');
    expect(parentsOf(run!).map((p) => [p.state, p.output.trim()])).toEqual([['succeeded', 'from-B'], ['failed', '']]);
  }, 90_000);

  it('any_succeeded: D runs on the first success and only once; with none, the generation ends', async () => {
    const some = await diamond('any_succeeded', 'never', 1);
    await (await api()).call('tasks.trigger', { id: some.a });
    await settled(some.c, 1);
    const [run] = await settled(some.d, 1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await runsOf(some.d)).toHaveLength(1);
    expect(run!.state).toBe('succeeded');

    const none = await diamond('any_succeeded', 'always');
    await (await api()).call('tasks.update', { id: none.b, patch: { params: { command: 'exit 2' } } });
    await (await api()).call('tasks.trigger', { id: none.a });
    const [ended] = await settled(none.d, 1);
    expect(ended).toMatchObject({ state: 'skipped', reason: 'upstream_failed', error: expect.stringMatching(/no parent succeeded/) });
  }, 90_000);

  it('several parents with `on` other than success are refused, naming join', async () => {
    const x = await task(`X-${++n}`, {});
    const y = await task(`Y-${++n}`, {});
    await expect((await api()).call('tasks.create', { name: `Z-${n}`, groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'parent', parents: [x, y], on: 'always' } }))
      .rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/trigger\.join decides/) });
    await expect((await api()).call('tasks.create', { name: `Z-${n}`, groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'parent', parents: [x, y], join: 'most' as JoinMode } }))
      .rejects.toMatchObject({ code: 'invalid_input', field: 'trigger.join' });
  });
});

describe('routing by label expression', () => {
  it('a broadcast reaches exactly the selected agents; a fixed shard count spreads over them, each run told index and total', async () => {
    const picked = await task(`sel-${++n}`, {
      params: { command: 'echo "$BATON_SHARD_INDEX/$BATON_SHARD_TOTAL"' },
      routing: { strategy: 'shard_broadcast', selector: 'zone in (eu,ap), !maintenance' },
    });
    await (await api()).call('tasks.trigger', { id: picked });
    const runs = await settled(picked, 2);
    expect(runs.map((r) => r.workerName).sort()).toEqual(['wf-0', 'wf-1']);

    const sharded = await task(`shards-${++n}`, {
      params: { command: 'echo "$BATON_SHARD_INDEX/$BATON_SHARD_TOTAL"' },
      routing: { strategy: 'shard_broadcast', selector: 'gpu=yes', shards: 3 },
    });
    await (await api()).call('tasks.trigger', { id: sharded });
    const shards = await settled(sharded, 3);
    expect(shards.map((r) => r.output.trim()).sort()).toEqual(['0/3', '1/3', '2/3']);
    expect(new Set(shards.map((r) => r.workerName))).toEqual(new Set(['wf-1']));
  }, 90_000);

  it('refuses a malformed selector and a shard count on another strategy, naming the field', async () => {
    await expect(task(`bad-${++n}`, { routing: { strategy: 'round_robin', selector: 'zone in (eu' } }))
      .rejects.toMatchObject({ code: 'invalid_input', field: 'routing.selector', message: expect.stringMatching(/unbalanced/) });
    await expect(task(`bad-${++n}`, { routing: { strategy: 'round_robin', shards: 2 } }))
      .rejects.toMatchObject({ code: 'invalid_input', field: 'routing.shards' });
  });
});

describe('after a leader change', () => {
  it('a leader change mid-generation: the new leader joins, and D (and its retry) gets both outputs from the store', async () => {
    const { a, c, d } = await diamond('all_succeeded', 'never', 4);
    await (await api()).call('tasks.update', { id: d, patch: { params: { command: '[ "$BATON_ATTEMPT" -ge 2 ] || exit 1; printf %s "$BATON_PARENTS"' }, retry: { count: 1, backoff: 'fixed', delayMs: 100, maxDelayMs: 100, reassign: 3 } } });
    second = await startTestMaster(databaseUrl, { BATON_LEADER_LEASE_MS: LEASE_MS });
    for (const [i, agent] of agents.entries()) {
      await agent.stop();
      agents[i] = await startAgent({ agentUrl: `${first.agentUrl},${second.agentUrl}` }, token, { name: `wf-${i}`, group: 'wf', args: ['--capacity', '4', '--labels', LABELS[i]!], dataDir: agentDirs[i] });
    }
    await waitFor('3 agents online', async () => (await first.api.call('workers.list', {})).filter((w) => w.status === 'online').length === 3, 90_000);
    await first.api.call('tasks.trigger', { id: a });
    await waitFor('C running', async () => (await runsOf(c)).some((r) => r.state === 'running'));
    await first.stop();
    const dRuns = await settled(d, 2, 60_000);
    expect(second.leading).toBe(true);
    const final = dRuns.find((r) => r.attempt === 2)!;
    expect(final.state).toBe('succeeded');
    expect(parentsOf(final).map((p) => p.output.trim())).toEqual(['from-B', 'from-C']);
  }, 120_000);
});
