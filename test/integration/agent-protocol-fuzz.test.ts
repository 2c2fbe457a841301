// Property-based fuzzing of the agent protocol (issue 7): generated heartbeats, log batches, results and handshakes
// from raw Socket.IO clients, with valid and forged run ids and with good and bad credentials. The master stays up,
// the stored state is unchanged, and every refusal carries a code.
import fc from 'fast-check';
import pg from 'pg';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_NAMESPACE, PROTOCOL_VERSION, RefusalCode } from '../../worker-agent/src/protocol';
import { credentialFor, freshDatabase, prepare, rawAgent, startTestMaster, waitFor, type RawAgent, type TestMaster } from './harness';

const CASES = 250;
const ACK_MS = 20_000;

/** Everything an agent could change, but the connecting worker's own liveness fields. */
const SNAPSHOT = [
  'select id, name, description, updated_at from groups order by id',
  'select id, name, group_id, params, trigger, enabled, next_fire_at, updated_at from tasks order by id',
  'select id, name, group_id, host, ip, version, labels, handlers, capacity, admin_state from workers order by id',
  'select id, state, attempt, output, error, exit_code, worker_id, worker_name, finished_at, log_bytes, log_truncated from runs order by id',
  'select run_id, seq, stream, lines from run_logs order by run_id, seq',
  'select id, scope, revoked_at from tokens order by id',
  'select id, revoked_at, uses from enrolments order by id',
  'select id, group_id, worker_name, revoked_at from agent_credentials order by id',
  'select group_id, name, params_schema, offered_by, last_seen_at from handler_catalogue order by group_id, name',
];

describe('agent protocol fuzz', () => {
  let master: TestMaster;
  let db: pg.Client;
  let fuzzer: RawAgent;
  let victim: RawAgent;
  const runs = { own: '', victims: '', finished: '' };
  const credentials = { own: '', victims: '', enrolment: '' };
  const timers: NodeJS.Timeout[] = [];

  const snapshot = async () => {
    const out: unknown[] = [];
    for (const sql of SNAPSHOT) out.push((await db.query(sql)).rows);
    return JSON.parse(JSON.stringify(out)) as unknown[];
  };
  const beatFor = (socket: RawAgent, running: () => string[]) =>
    timers.push(setInterval(() => socket.emit('heartbeat', { at: Date.now(), cpu: 0, memory: 0, load1: 0, running: running() }), 250));

  beforeAll(async () => {
    const url = await freshDatabase();
    master = await startTestMaster(url, { BATON_AGENT_EVENTS_PER_SEC: '100000' });
    db = new pg.Client({ connectionString: url });
    await db.connect();
    const mine = await prepare(master, 'it');
    const theirs = await prepare(master, 'other');
    credentials.enrolment = mine.token;
    const assigned: Record<string, string[]> = { fuzzer: [], victim: [] };
    fuzzer = await rawAgent(master.agentUrl, mine.token, { name: 'fuzzer', group: 'it', onAssign: (a) => assigned.fuzzer!.push(a.runId) });
    victim = await rawAgent(master.agentUrl, theirs.token, { name: 'victim', group: 'other', onAssign: (a) => assigned.victim!.push(a.runId) });
    beatFor(fuzzer, () => assigned.fuzzer!);
    beatFor(victim, () => assigned.victim!);
    credentials.own = await credentialFor(master.agentUrl, mine.token, 'fuzzer', 'it');
    credentials.victims = await credentialFor(master.agentUrl, theirs.token, 'victim', 'other');
    const task = async (groupId: string, name: string) => master.api.call('tasks.create', {
      name, groupId, handler: 'shell', params: { command: 'sleep 600' }, trigger: { type: 'api' },
      blocking: { strategy: 'concurrent', maxConcurrent: 10 },
    });
    const ownTask = await task(mine.groupId, 'own');
    const theirTask = await task(theirs.groupId, 'theirs');
    const [own] = await master.api.call('tasks.trigger', { id: ownTask.id });
    const [held] = await master.api.call('tasks.trigger', { id: theirTask.id });
    const [done] = await master.api.call('tasks.trigger', { id: theirTask.id });
    Object.assign(runs, { own: own!.id, victims: held!.id, finished: done!.id });
    await waitFor('runs on their workers', async () => assigned.fuzzer!.length === 1 && assigned.victim!.length === 2 && assigned);
    const now = Date.now();
    const ack = await victim.timeout(ACK_MS).emitWithAck('run:result', {
      runId: runs.finished, attempt: 1, state: 'succeeded', exitCode: 0, output: 'real output', error: null, startedAt: now, finishedAt: now,
    });
    expect(ack).toEqual({ stored: true });
    assigned.victim = [runs.victims];
    await waitFor('the finished run stored', async () => (await master.api.call('runs.get', { id: runs.finished })).state === 'succeeded');
    // A running mark is written a second after the start (db/held-starts.ts): wait for it, so the snapshots compare a settled state.
    await waitFor('the held runs marked running', async () => (await Promise.all([runs.own, runs.victims].map((id) => master.api.call('runs.get', { id }))))
      .every((r) => r.state === 'running'));
  });
  afterAll(async () => {
    timers.forEach(clearInterval);
    fuzzer?.disconnect();
    victim?.disconnect();
    await db?.end();
    await master?.stop();
  });

  /** A valid-looking object with some fields mutated, dropped, or one unknown field added. */
  const mutated = <T extends Record<string, unknown>>(valid: fc.Arbitrary<T>, garbage: fc.Arbitrary<unknown> = fc.anything()) => fc.oneof(
    valid,
    fc.tuple(valid, fc.string({ minLength: 1, maxLength: 12 }), fc.anything()).map(([v, k, x]) => ({ ...v, [`x_${k}`]: x })),
    fc.tuple(valid, fc.nat()).map(([v, i]) => {
      const keys = Object.keys(v);
      const { [keys[i % keys.length]!]: _dropped, ...rest } = v;
      return rest;
    }),
    // Not 1: that would make a valid result for the fuzzer's own run, which may (rightly) change it.
    fc.tuple(valid, fc.nat(), fc.anything().filter((x) => x !== 1)).map(([v, i, x]) => ({ ...v, [Object.keys(v)[i % Object.keys(v).length]!]: x })),
    garbage,
  );
  const log = (runId: fc.Arbitrary<string>, attempt: fc.Arbitrary<number>) => mutated(fc.record({
    runId, attempt, seq: fc.integer({ min: 0, max: 1_000_000 }),
    stream: fc.constantFrom('stdout', 'stderr', 'system'), lines: fc.array(fc.string({ maxLength: 40 }), { maxLength: 4 }),
  }));
  const result = (runId: fc.Arbitrary<string>, attempt: fc.Arbitrary<number>) => mutated(fc.record({
    runId, attempt, state: fc.constantFrom('succeeded', 'failed', 'timed_out', 'cancelled'),
    exitCode: fc.option(fc.integer({ min: -1, max: 255 })), output: fc.string({ maxLength: 60 }), error: fc.option(fc.string({ maxLength: 20 })),
    startedAt: fc.integer({ min: 0, max: 2 ** 42 }), finishedAt: fc.integer({ min: 0, max: 2 ** 42 }),
  }));
  const unknownRunId = fc.oneof(fc.constant('run_000000000000000000000'), fc.string({ maxLength: 70 }));

  /** Sends one event and checks the answer: an ack arrives (the master is up) and a refusal has a code. */
  const sendAndCheck = async (event: 'run:log' | 'run:result', payload: unknown) => {
    const ack = await fuzzer.timeout(ACK_MS).emitWithAck(event as 'run:result', payload as never) as unknown;
    expect(ack).toMatchObject({ stored: expect.any(Boolean) });
    if (!(ack as { stored: boolean }).stored) expect(ack).toMatchObject({ code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) });
  };
  const withRun = (make: () => string) => fc.constant(null).map(() => make());

  it(`${CASES * 4} malformed, unknown-run and wrong-attempt events and handshakes change nothing, and every refusal has a code`, async () => {
    const before = await snapshot();
    const runIdArb = fc.oneof(unknownRunId, withRun(() => runs.own));
    const wrongAttempt = fc.oneof(fc.integer({ min: 2, max: 9 }), fc.integer({ min: -5, max: 0 }));
    const started = Date.now();
    await fc.assert(fc.asyncProperty(log(runIdArb, wrongAttempt), (p) => sendAndCheck('run:log', p)), { numRuns: CASES });
    await fc.assert(fc.asyncProperty(result(runIdArb, wrongAttempt), (p) => sendAndCheck('run:result', p)), { numRuns: CASES });
    await fc.assert(fc.asyncProperty(mutated(fc.record({
      at: fc.integer(), cpu: fc.double({ min: 0, max: 1, noNaN: true }), memory: fc.double({ min: 0, max: 1, noNaN: true }),
      load1: fc.double({ min: 0, max: 64, noNaN: true }), running: fc.array(fc.oneof(unknownRunId, withRun(() => runs.victims)), { maxLength: 3 }).map((ids) => [...ids, runs.own]),
    })), async (beat) => {
      fuzzer.emit('heartbeat', beat as never);
    }), { numRuns: CASES });
    // Often a matching credential, name and group (refused only because that worker is connected), often a mix.
    const identity = fc.oneof(
      fc.constantFrom(
        { token: credentials.own, name: 'fuzzer', group: 'it' }, { token: credentials.victims, name: 'victim', group: 'other' },
      ),
      fc.record({
        token: fc.oneof(
          fc.constantFrom(credentials.own, credentials.victims, credentials.enrolment, `bt_crd_000000000000.${'x'.repeat(32)}`),
          fc.string({ maxLength: 300 }),
        ),
        name: fc.oneof(fc.constantFrom('fuzzer', 'victim', 'newcomer'), fc.string({ maxLength: 140 })),
        group: fc.oneof(fc.constantFrom('it', 'other', 'brand-new'), fc.string({ maxLength: 140 })),
      }),
    );
    await fc.assert(fc.asyncProperty(mutated(fc.record({
      protocol: fc.oneof({ arbitrary: fc.constant(PROTOCOL_VERSION), weight: 4 }, { arbitrary: fc.constantFrom(0, 2), weight: 1 }),
      identity,
      host: fc.string({ minLength: 1, maxLength: 20 }), version: fc.constant('fuzz'),
      handlers: fc.constant(['shell']), capacity: fc.integer({ min: 1, max: 10_000 }),
      // Issue 9: each handler's params schema; absent, valid, invalid JSON Schema, or any object at all.
      handlerParams: fc.oneof(
        fc.constant(undefined),
        fc.constant({ shell: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } }),
        fc.constant({ shell: { type: 'object', properties: { command: { type: 'nope' } } } }),
        fc.dictionary(fc.oneof(fc.constant('shell'), fc.string({ maxLength: 10 })), fc.object(), { maxKeys: 3 }),
      ),
    }).map(({ identity: who, ...rest }) => ({ ...rest, ...who })), fc.object()), async (auth) => {
      const refusal = await new Promise<unknown>((resolve) => {
        const socket = io(`${master.agentUrl}${AGENT_NAMESPACE}`, { auth: auth as object, reconnection: false, transports: ['websocket'] });
        socket.once('connect', () => { socket.disconnect(); resolve('admitted'); });
        socket.once('connect_error', (err) => { socket.disconnect(); resolve((err as Error & { data?: unknown }).data); });
        setTimeout(() => { socket.disconnect(); resolve('no answer'); }, ACK_MS);
      });
      // Both named workers are connected, and a credential opens only its own name: nothing may be admitted.
      expect(RefusalCode.safeParse((refusal as { code?: unknown })?.code).success).toBe(true);
    }), { numRuns: CASES });
    console.log(`fuzz: ${CASES * 4} cases in ${Date.now() - started} ms`);
    expect((await master.api.call('master.info', {})).leader).toBe(true);
    expect(fuzzer.connected && victim.connected).toBe(true);
    expect(await snapshot()).toEqual(before);
  }, 240_000);

  // Needs "runs belong to their worker" (issue 7 finding 2), built in parallel on another branch.
  it(`${CASES * 2} logs and results forged for another worker's run and for a finished run change nothing`, async () => {
    const before = await snapshot();
    const forged = fc.oneof(withRun(() => runs.victims), withRun(() => runs.finished));
    const attempt = fc.integer({ min: 1, max: 2 });
    await fc.assert(fc.asyncProperty(log(forged, attempt), (p) => sendAndCheck('run:log', p)), { numRuns: CASES });
    await fc.assert(fc.asyncProperty(result(forged, attempt), (p) => sendAndCheck('run:result', p)), { numRuns: CASES });
    expect(await snapshot()).toEqual(before);
  });
});
