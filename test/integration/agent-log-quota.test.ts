// Quotas in bytes (issue 7, finding 7): a 10 MB log flood for one run stores at most the run's quota, the master
// keeps answering, over-budget agents get refusals with a code, and the warnings they cause are rate-limited.
import fs from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultAck } from '../../worker-agent/src/protocol';
import { freshDatabase, prepare, rawAgent, startTestMaster, waitFor, type RawAgent, type TestMaster } from './harness';

const RUN_BYTES = 1024 * 1024;
const LINE_BYTES = 4096;
const EVENTS_PER_SEC = 50;

describe('agent log quotas', () => {
  let master: TestMaster;
  let db: pg.Client;
  let agent: RawAgent;
  let runId: string;
  let beat: NodeJS.Timeout;

  beforeAll(async () => {
    const url = await freshDatabase();
    master = await startTestMaster(url, {
      BATON_RUN_LOG_MAX_BYTES: String(RUN_BYTES), BATON_LOG_LINE_MAX_BYTES: String(LINE_BYTES), BATON_AGENT_EVENTS_PER_SEC: String(EVENTS_PER_SEC),
    });
    const { groupId, token } = await prepare(master);
    db = new pg.Client({ connectionString: url });
    await db.connect();
    let assigned: string | null = null;
    agent = await rawAgent(master.agentUrl, token, { name: 'flooder', onAssign: (a) => (assigned = a.runId) });
    const task = await master.api.call('tasks.create', {
      name: 'noisy', groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' },
    });
    await master.api.call('tasks.trigger', { id: task.id });
    runId = await waitFor('the run assigned', async () => assigned);
    beat = setInterval(() => agent.emit('heartbeat', { at: Date.now(), cpu: 0, memory: 0, load1: 0, running: [runId] }), 250);
  });
  afterAll(async () => {
    clearInterval(beat);
    agent?.disconnect();
    await db?.end();
    await master?.stop();
  });

  const send = (seq: number, lines: string[], run = runId) =>
    agent.timeout(30_000).emitWithAck('run:log', { runId: run, attempt: 1, seq, stream: 'stdout', lines }) as Promise<ResultAck>;
  /** Another running run of the same task, with an empty log. */
  const extraRun = async (id: string) => {
    await db.query(
      `insert into runs (id, task_id, root_run_id, attempt, trigger, state, trace_id, planned_at, worker_id, worker_name)
       select $2, task_id, $2, 1, 'api', 'running', trace_id, now(), worker_id, worker_name from runs where id = $1`, [runId, id]);
    return id;
  };

  it('a 10 MB flood stores at most the run quota, says so once in the log, and the master stays responsive', async () => {
    const line = 'x'.repeat(999);
    const answers: ResultAck[] = [];
    let slowestApiMs = 0;
    for (let seq = 0; seq < 20; seq++) {
      // 20 batches of 500 kB: 10 MB, paced under the event budget so only the byte quota refuses them.
      answers.push(await send(seq, Array.from({ length: 500 }, () => line)));
      const started = Date.now();
      await master.api.call('runs.get', { id: runId });
      slowestApiMs = Math.max(slowestApiMs, Date.now() - started);
    }
    const { rows } = await db.query<{ bytes: string; stored: string; truncated: boolean }>(
      `select r.log_bytes as bytes, r.log_truncated as truncated,
         (select coalesce(sum(octet_length(array_to_string(lines, ''))), 0) from run_logs where run_id = r.id and seq < 2147483647) as stored
       from runs r where r.id = $1`, [runId]);
    console.log(`10 MB flood: ${rows[0]!.stored} bytes stored (quota ${RUN_BYTES}); slowest API answer during it ${slowestApiMs} ms`);
    expect(Number(rows[0]!.stored)).toBeLessThanOrEqual(RUN_BYTES);
    expect(Number(rows[0]!.stored)).toBeGreaterThan(RUN_BYTES / 2);
    expect(rows[0]!.truncated).toBe(true);
    expect(answers.filter((a) => a.stored)).toHaveLength(2);
    expect(answers.filter((a) => !a.stored).every((a) => !a.stored && a.code === 'log_quota')).toBe(true);
    const log = await master.api.call('runs.logs', { id: runId, limit: 5_000 });
    expect(log.filter((l) => l.stream === 'system').map((l) => l.line)).toEqual([`Log limit of ${RUN_BYTES} bytes reached; later lines were dropped.`]);
    // A batch sent again (same seq) is not stored twice and counts nothing.
    expect(await send(0, [line])).toEqual({ stored: true });
  });

  it('cuts over-long lines to the line quota in bytes, never inside a character', async () => {
    const other = await extraRun('run_lines');
    const wide = 'é'.repeat(LINE_BYTES); // 2 bytes each: twice the line quota
    expect(await send(0, [wide], other)).toEqual({ stored: true });
    const [stored] = await master.api.call('runs.logs', { id: other });
    expect(Buffer.byteLength(stored!.line)).toBe(LINE_BYTES);
    expect(stored!.line).toBe('é'.repeat(LINE_BYTES / 2));
  });

  it('runs.logs keeps its limit in lines, at whole batches, in order (issue 8: it ignored it)', async () => {
    const other = await extraRun('run_paged');
    for (let seq = 0; seq < 3; seq++) expect(await send(seq, [`${seq}a`, `${seq}b`, `${seq}c`], other)).toEqual({ stored: true });
    const page = async (afterSeq: number, limit: number) => (await master.api.call('runs.logs', { id: other, afterSeq, limit })).map((l) => `${l.seq}:${l.line}`);
    expect(await page(-1, 3)).toEqual(['0:0a', '0:0b', '0:0c']);
    expect(await page(-1, 4)).toEqual(['0:0a', '0:0b', '0:0c', '1:1a', '1:1b', '1:1c']);
    expect(await page(0, 1)).toEqual(['1:1a', '1:1b', '1:1c']);
    expect(await page(-1, 1_000)).toHaveLength(9);
    expect(await page(2, 10)).toEqual([]);
  });

  it('an agent over its log budget gets refusals with a code, and one warning line per interval', async () => {
    const before = (await fs.readFile(master.logFile, 'utf8')).split('\n').filter((l) => l.includes('over its log budget')).length;
    const quiet = await extraRun('run_budget');
    const answers = await Promise.all(Array.from({ length: 1_000 }, (_, i) => send(i, ['tiny'], quiet)));
    const refused = answers.filter((a) => !a.stored);
    expect(refused.length).toBeGreaterThan(500);
    expect(refused.every((a) => !a.stored && a.code === 'rate_limited')).toBe(true);
    await master.api.call('runs.get', { id: runId });
    const lines = (await fs.readFile(master.logFile, 'utf8')).split('\n').filter((l) => l.includes('over its log budget'));
    expect(lines.length - before).toBeLessThanOrEqual(2);
    // Later, within budget, batches are taken again.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await send(5_000, ['after'], quiet)).toEqual({ stored: true });
    // And the flooded run stores nothing more, however small: its log ends at the truncation notice.
    expect(await send(5_000, ['after'])).toMatchObject({ stored: false, code: 'log_quota' });
  });
});
