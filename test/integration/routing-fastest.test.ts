// `fastest` routing on measured latency: two protocol-level agents answer their runs after different delays;
// once the master has refreshed its latency view (every 10 s) the task's runs go to the quicker one.
import { afterAll, describe, expect, it } from 'vitest';
import { LATENCY_REFRESH_MS } from '../../src-main/master/leading';
import type { RunResult } from '../../worker-agent/src/protocol';
import { freshDatabase, prepare, rawAgent, startTestMaster, waitFor, type RawAgent, type TestMaster } from './harness';

const ANSWER_AFTER_MS = { quick: 20, slow: 600 } as const;

describe('fastest routing', () => {
  let master: TestMaster | undefined;
  const sockets: RawAgent[] = [];
  const beats: NodeJS.Timeout[] = [];
  afterAll(async () => {
    for (const beat of beats) clearInterval(beat);
    for (const socket of sockets) socket.disconnect();
    await master?.stop();
  });

  async function agent(name: keyof typeof ANSWER_AFTER_MS, url: string, token: string): Promise<void> {
    const running = new Set<string>();
    let socket: RawAgent | undefined;
    socket = await rawAgent(url, token, {
      name, capacity: 50,
      onAssign: (assign) => {
        running.add(assign.runId);
        const startedAt = Date.now();
        setTimeout(() => {
          const result: RunResult = {
            runId: assign.runId, attempt: assign.attempt, state: 'succeeded', exitCode: 0, output: name, error: null,
            startedAt, finishedAt: Date.now(),
          };
          // A result still unanswered when the test disconnects is of no interest: it must not surface as a rejection.
          socket!.emitWithAck('run:result', result).then(() => running.delete(assign.runId), () => undefined);
        }, ANSWER_AFTER_MS[name]);
      },
    });
    sockets.push(socket);
    beats.push(setInterval(() => socket!.emit('heartbeat', { at: Date.now(), cpu: 0.1, memory: 0.1, load1: 0, running: [...running] }), 200));
  }

  it('sends runs to the worker whose recent runs ended soonest', async () => {
    master = await startTestMaster(await freshDatabase());
    const { groupId, token } = await prepare(master);
    // The slow one joins first: without latency figures, ties go to the first registered, so only the
    // measurement can send the runs to `quick`.
    await agent('slow', master.agentUrl, token);
    await agent('quick', master.agentUrl, token);
    const task = (name: string, strategy: 'round_robin' | 'fastest') => master!.api.call('tasks.create', {
      name, groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' }, routing: { strategy, labels: {} },
      blocking: { strategy: 'concurrent', maxConcurrent: 100 },
    });
    const warmUp = await task('warm-up', 'round_robin');
    for (let i = 0; i < 6; i++) await master.api.call('tasks.trigger', { id: warmUp.id });
    await waitFor('warm-up runs ended', async () =>
      (await master!.api.call('runs.list', { taskId: warmUp.id })).filter((r) => r.state === 'succeeded').length === 6);
    await new Promise((r) => setTimeout(r, LATENCY_REFRESH_MS + 500));

    const fastest = await task('fastest', 'fastest');
    const workers: string[] = [];
    for (let i = 0; i < 4; i++) workers.push(...(await master.api.call('tasks.trigger', { id: fastest.id })).map((r) => r.workerName!));
    expect(workers).toEqual(['quick', 'quick', 'quick', 'quick']);
  }, 40_000);
});
