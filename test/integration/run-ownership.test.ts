// Runs belong to their worker (issue 7, finding 2): results and log lines are accepted only from the worker the
// run's attempt is assigned to; anything else is refused with a code and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunAssign, RunLog, RunResult } from '../../worker-agent/src/protocol';
import { freshDatabase, prepare, rawAgent, startTestMaster, waitFor, type RawAgent, type TestMaster } from './harness';

describe('runs belong to their worker', () => {
  let master: TestMaster;
  let groupId: string;
  let owner: RawAgent;
  let intruder: RawAgent;
  const assigned: RunAssign[] = [];
  const beats: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    const prepared = await prepare(master);
    groupId = prepared.groupId;
    owner = await rawAgent(master.agentUrl, prepared.token, { name: 'owner', onAssign: (a) => assigned.push(a) });
    // An agent of another group, enrolled with its own group's token: a legitimate worker, just not this run's.
    const elsewhere = await prepare(master, 'elsewhere');
    intruder = await rawAgent(master.agentUrl, elsewhere.token, { name: 'intruder', group: 'elsewhere' });
    for (const s of [owner, intruder]) {
      beats.push(setInterval(() => s.emit('heartbeat', { at: Date.now(), cpu: 0, memory: 0, load1: 0, running: assigned.map((a) => a.runId) }, () => undefined), 300));
    }
  });
  afterAll(async () => {
    for (const b of beats) clearInterval(b);
    owner?.disconnect();
    intruder?.disconnect();
    await master?.stop();
  });

  const resultOf = (runId: string, output: string): RunResult => ({
    runId, attempt: 1, state: 'succeeded', exitCode: 0, output, error: null, startedAt: Date.now() - 10, finishedAt: Date.now(),
  });
  const logOf = (runId: string, seq: number, line: string): RunLog => ({ runId, attempt: 1, seq, stream: 'stdout', lines: [line] });

  it('refuses a forged result and log from another worker, an unknown run, another attempt; a finished run stays as its worker left it', async () => {
    const task = await master.api.call('tasks.create', {
      name: 'owned', groupId, handler: 'shell', params: { command: 'x' }, trigger: { type: 'api' },
    });
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    await waitFor('assigned to the owner', async () => assigned.some((a) => a.runId === run!.id));
    const before = await master.api.call('runs.get', { id: run!.id });
    expect(before.workerName).toBe('owner');

    // In flight: another worker's result and log are refused and change nothing.
    expect(await intruder.emitWithAck('run:result', resultOf(run!.id, 'forged'))).toMatchObject({ stored: false, code: 'not_your_run' });
    expect(await intruder.emitWithAck('run:log', logOf(run!.id, 0, 'forged line'))).toMatchObject({ stored: false, code: 'not_your_run' });
    expect(await owner.emitWithAck('run:result', { ...resultOf(run!.id, 'wrong attempt'), attempt: 2 })).toMatchObject({ stored: false, code: 'not_your_run' });
    expect(await intruder.emitWithAck('run:result', resultOf('run_does_not_exist', 'forged'))).toMatchObject({ stored: false, code: 'unknown_run' });
    expect(await intruder.emitWithAck('run:log', logOf('run_does_not_exist', 0, 'forged'))).toMatchObject({ stored: false, code: 'unknown_run' });
    expect(await master.api.call('runs.get', { id: run!.id })).toEqual(before);
    expect(await master.api.call('runs.logs', { id: run!.id })).toEqual([]);

    // The owner's own log and result are stored.
    expect(await owner.emitWithAck('run:log', logOf(run!.id, 0, 'real line'))).toEqual({ stored: true });
    expect(await owner.emitWithAck('run:result', resultOf(run!.id, 'real'))).toEqual({ stored: true });
    const done = await master.api.call('runs.get', { id: run!.id });
    expect([done.state, done.output]).toEqual(['succeeded', 'real']);

    // Finished: forged reports are still refused; the owner's duplicate is acknowledged and changes nothing;
    // the owner's log lines of the ended run (delivered after a cut) are still stored.
    expect(await intruder.emitWithAck('run:result', { ...resultOf(run!.id, 'forged'), state: 'failed' })).toMatchObject({ stored: false, code: 'not_your_run' });
    expect(await intruder.emitWithAck('run:log', logOf(run!.id, 1, 'forged line'))).toMatchObject({ stored: false, code: 'not_your_run' });
    expect(await owner.emitWithAck('run:result', { ...resultOf(run!.id, 'again'), state: 'failed' })).toEqual({ stored: true });
    expect(await owner.emitWithAck('run:log', logOf(run!.id, 1, 'late line'))).toEqual({ stored: true });
    expect(await master.api.call('runs.get', { id: run!.id })).toEqual(done);
    expect((await master.api.call('runs.logs', { id: run!.id })).map((l) => l.line)).toEqual(['real line', 'late line']);
  });

  it('logs a refusal once per worker and code in a window, not once per message', async () => {
    const { readFile } = await import('node:fs/promises');
    for (let i = 0; i < 50; i++) await intruder.emitWithAck('run:result', resultOf(`run_flood_${i}`, 'x'));
    const lines = (await readFile(master.logFile, 'utf8')).split('\n').filter((l) => l.includes('run:result refused') && l.includes('"code":"unknown_run"'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
  });
});
