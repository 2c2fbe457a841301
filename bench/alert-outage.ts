// A channel down does not slow scheduling (issue 10): the lateness bench's load (500 tasks × cron every second,
// same agents and capacity, imported from lateness.ts) with every run failing, twice in one bench run: once with no
// alert rule, once with a rule alerting on every failed attempt to a webhook that is down (a local receiver answering
// 503). Lateness (assigned − planned, and stored − planned) must stay as it was: p99 within 25 % + 10 ms of the quiet
// pass, and no fire lost or doubled.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAgents, stopAgents, type AgentProcess } from './lib/agents';
import { withClient } from './lib/cluster';
import { stage } from './lib/setup';
import type { BenchContext, BenchResult, Row } from './lib/types';
import { boundedAll, round, sleep, summary, waitFor } from './lib/util';
import { AGENTS, CAPACITY, startAfterMs } from './lateness';

/** The lateness bench's proper size. */
const TASKS = 500;

/** "Unchanged": the alerting pass's p99 may exceed the quiet one's by this share plus this many ms (run-to-run noise
 * on this shared 2-core machine is of that order). */
const SLACK_SHARE = 0.25;
const SLACK_MS = 10;

interface Pass { assigned: ReturnType<typeof summary>; stored: ReturnType<typeof summary>; expected: number; lost: number; doubled: number; failed: number; outbox: number; hits: number; channel: string }

/** A webhook receiver that is down: it answers every message 503 and counts them. */
async function downReceiver(): Promise<{ url: string; hits(): number; stop(): Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { hits += 1; res.writeHead(503).end(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits: () => hits,
    stop: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

async function pass(ctx: BenchContext, alerting: boolean): Promise<Pass> {
  const name = alerting ? 'alert_outage' : 'alert_quiet';
  const windowS = ctx.quick ? 15 : 60;
  const receiver = alerting ? await downReceiver() : null;
  const s = await stage(ctx, name, { BATON_OUTBOUND_ALLOW: '127.0.0.1' });
  let agents: AgentProcess[] = [];
  try {
    agents = await startAgents(s.master.agentUrl, s.token, { count: AGENTS, group: 'bench', capacity: CAPACITY, prefix: name });
    await waitFor('agents online', async () => (await s.master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === AGENTS, 30_000);
    if (receiver) {
      await s.master.api.call('alerts.settings.update', { windowMs: 0 });
      await s.master.api.call('alerts.channels.create', { kind: 'webhook', name: 'down', url: receiver.url });
      await s.master.api.call('alerts.rules.create', { scope: { type: 'all' }, on: ['run_failed'], attempts: 'every', channels: ['down'] });
    }
    const startAt = Math.ceil((Date.now() + startAfterMs(TASKS)) / 1_000) * 1_000;
    // Every run fails at once: the agent refuses a loopback URL it was not allowed (no process, no network).
    await boundedAll(TASKS, 16, async (i) => {
      await s.master.api.call('tasks.create', {
        name: `failing-${i}`, groupId: s.groupId, handler: 'http', params: { url: 'http://127.0.0.1:9/' }, startAt: new Date(startAt).toISOString(),
        trigger: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' }, routing: { strategy: 'round_robin' }, blocking: { strategy: 'serial' },
      });
    });
    const from = Math.max(startAt, Math.ceil(Date.now() / 1_000) * 1_000) + 2_000;
    const to = from + windowS * 1_000;
    await sleep(to - Date.now() + 3_000);
    const channel = receiver ? (await s.master.api.call('alerts.channels.list', {}))[0]! : null;
    return await withClient(s.databaseUrl, async (c) => {
      const range = [new Date(from), new Date(to)];
      const { rows } = await c.query<{ assigned: number | null; stored: number; state: string }>(
        `select extract(epoch from assigned_at - planned_at) * 1000 as assigned, extract(epoch from created_at - planned_at) * 1000 as stored, state
         from runs where planned_at >= $1 and planned_at < $2 and attempt = 1`, range);
      const { rows: [fires] } = await c.query<{ pairs: number; doubled: number }>(
        `select count(*)::int as pairs, count(*) filter (where n > 1)::int as doubled
         from (select task_id, date_trunc('second', planned_at), count(*) as n from runs
               where planned_at >= $1 and planned_at < $2 and trigger in ('schedule', 'misfire') and attempt = 1 group by 1, 2) f`, range);
      const { rows: [outbox] } = await c.query<{ n: number }>('select count(*)::int as n from alert_outbox');
      const expected = TASKS * windowS;
      return {
        assigned: summary(rows.filter((r) => r.assigned !== null).map((r) => Number(r.assigned))),
        stored: summary(rows.map((r) => Number(r.stored))),
        expected, lost: expected - fires!.pairs, doubled: fires!.doubled, failed: rows.filter((r) => r.state === 'failed').length,
        outbox: outbox!.n, hits: receiver?.hits() ?? 0,
        channel: channel ? `${channel.state.status}, ${channel.state.failures} failures, ${channel.state.pending} pending` : 'none',
      };
    });
  } finally {
    await stopAgents(agents);
    await s.master.stop();
    await receiver?.stop();
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const quiet = await pass(ctx, false);
  ctx.log(`alert-outage: quiet pass p99 ${round(quiet.assigned.p99)} ms`);
  const outage = await pass(ctx, true);
  ctx.log(`alert-outage: alerting pass p99 ${round(outage.assigned.p99)} ms`);
  const allowed = quiet.assigned.p99 * (1 + SLACK_SHARE) + SLACK_MS;
  // No run assigned in a window (a machine too loaded to fire) measures nothing: never "met".
  const unchanged = quiet.assigned.n > 0 && outage.assigned.n > 0 && outage.assigned.p99 <= allowed;
  const exact = (p: Pass) => p.lost === 0 && p.doubled === 0;
  const lat = (x: ReturnType<typeof summary>) => (x.n === 0 ? 'no run assigned' : `p50 ${round(x.p50)} ms, p99 ${round(x.p99)} ms, max ${round(x.max)} ms (${x.n} runs)`);
  const rows: Row[] = [
    { metric: `${TASKS} failing tasks × every second, no alert rule: assigned − planned`, value: lat(quiet.assigned) },
    { metric: 'same, every failure alerting to a channel that is down: assigned − planned', value: lat(outage.assigned), target: `p99 ≤ ${round(allowed)} ms (quiet + 25 % + 10 ms)`, met: unchanged },
    { metric: 'stored − planned (planner), quiet / alerting', value: `p99 ${round(quiet.stored.p99)} / ${round(outage.stored.p99)} ms` },
    { metric: 'fires lost / doubled, quiet / alerting', value: `${quiet.lost} / ${quiet.doubled}, ${outage.lost} / ${outage.doubled} of ${quiet.expected}`, target: '0 / 0', met: exact(quiet) && exact(outage) },
    { metric: 'alerting pass: runs failed, alerts stored, tries at the down channel', value: `${outage.failed}, ${outage.outbox}, ${outage.hits} (${outage.channel})` },
  ];
  return { name: 'alert-outage', rows, data: { quiet, outage, allowedP99Ms: allowed, unchanged, ok: unchanged && exact(quiet) && exact(outage) } };
}
