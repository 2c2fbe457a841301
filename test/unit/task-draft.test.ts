// The task editor's draft ↔ the contract's TaskInput (issue 8): every scheduler option survives a round trip,
// and what the master would refuse is refused in the form first, with the master's words, beside its field.
import { describe, expect, it } from 'vitest';
import { Task, TaskInput } from '../../src-main/master/api/contract/domain';
import { cloneDraft, draftFromTask, draftToSpec, emptyDraft } from '../../src-renderer/src/lib/task-draft';
import { cronSentence, fireText, zoneProblem } from '../../src-renderer/src/lib/triggers';
import { checkTrigger } from '../../src-main/master/scheduler/triggers';

const full = Task.parse({
  ...TaskInput.parse({
    name: 'everything', groupId: 'grp_1', handler: 'shell', description: 'all options',
    params: { command: 'echo hi' }, trigger: { type: 'cron', expression: '0 30 2 * * *', timezone: 'America/New_York' },
    misfire: { policy: 'catch_up', thresholdMs: 2_000, maxCatchUp: 7 },
    routing: { strategy: 'consistent_hash', hashKey: 'customer', labels: { zone: 'eu', gpu: 'true' }, selector: 'zone in (eu,ap), !maintenance' },
    blocking: { strategy: 'concurrent', maxConcurrent: 4 },
    timeoutMs: 9_000, queueTimeoutMs: 12_000,
    retry: { count: 3, backoff: 'exponential', delayMs: 500, maxDelayMs: 8_000, reassign: 2 },
    startAt: '2030-01-01T00:00:00.000Z', endAt: '2031-01-01T00:00:00.000Z', enabled: false,
    alerts: { on: ['failed'], email: ['ops@example.com'] },
  }),
  id: 'tsk_1', createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z', nextFireAt: null,
});

describe('task draft ↔ contract', () => {
  it('every scheduler option survives task → draft → spec unchanged', () => {
    const built = draftToSpec(draftFromTask(full), full);
    expect(built.ok).toBe(true);
    const { id: _id, createdAt: _c, updatedAt: _u, nextFireAt: _n, ...definition } = full;
    expect(built.ok && built.spec).toEqual(definition);
  });

  it('a join of several parents and a fixed shard count survive the round trip too', () => {
    const joined = Task.parse({
      ...full, routing: { strategy: 'shard_broadcast', labels: {}, shards: 6 },
      trigger: { type: 'parent', parents: ['tsk_a', 'tsk_b'], on: 'success', join: 'any_succeeded' },
    });
    const built = draftToSpec(draftFromTask(joined), joined);
    expect(built.ok && built.spec.trigger).toEqual(joined.trigger);
    expect(built.ok && built.spec.routing).toEqual(joined.routing);
  });

  it('a new draft sends the contract defaults', () => {
    const built = draftToSpec({ ...emptyDraft('grp_1'), name: 'n', command: 'true', timezone: 'UTC' }, null);
    expect(built.ok && built.spec).toMatchObject({
      misfire: { policy: 'fire_once', thresholdMs: 5_000, maxCatchUp: 10 },
      routing: { strategy: 'round_robin', labels: {} }, blocking: { strategy: 'serial', maxConcurrent: 1 },
      retry: { count: 0, backoff: 'fixed', delayMs: 1_000, maxDelayMs: 60_000, reassign: 3 }, queueTimeoutMs: 30_000,
      startAt: null, endAt: null,
    });
  });

  it('specific sends the worker picked, and only then', () => {
    const draft = { ...draftFromTask(full), routing: 'specific' as const, workerId: 'wrk_9' };
    const built = draftToSpec(draft, full);
    expect(built.ok && built.spec.routing).toEqual({ strategy: 'specific', workerId: 'wrk_9', labels: { zone: 'eu', gpu: 'true' }, selector: 'zone in (eu,ap), !maintenance' });
  });

  it.each([
    ['specific without a worker', { routing: 'specific', workerId: '' }, 'routing.workerId', 'the specific strategy needs a worker id.'],
    ['consistent_hash without a key', { routing: 'consistent_hash', hashKey: ' ' }, 'routing.hashKey', 'consistent_hash needs the params key to hash on.'],
    ['concurrent with 0 at once', { blocking: 'concurrent', maxConcurrent: '0' }, 'blocking.maxConcurrent', /./],
    ['a label without =', { labels: 'zone=eu, gpu' }, 'routing.labels', "'gpu' is not key=value (e.g. zone=eu, gpu=true)"],
    ['an end before the start', { startAt: '2030-02-01T00:00', endAt: '2030-01-01T00:00' }, 'endAt', 'must be later than startAt.'],
    ['a negative queue timeout', { queueTimeoutMs: '-1' }, 'queueTimeoutMs', /./],
    ['a retry count over 100', { retries: '101' }, 'retry.count', /./],
    ['catch-up of 0 fires', { misfirePolicy: 'catch_up', maxCatchUp: '0' }, 'misfire.maxCatchUp', /./],
  ] as const)('refuses %s beside %s', (_what, change, field, message) => {
    const built = draftToSpec({ ...draftFromTask(full), ...change } as never, full);
    expect(built.ok).toBe(false);
    expect(!built.ok && built.errors[field]).toMatch(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
  });

  it('clone keeps every setting under a free name', () => {
    const draft = cloneDraft(full, ['everything', 'everything-copy']);
    expect(draft.name).toBe('everything-copy-2');
    expect({ ...draft, name: full.name }).toEqual(draftFromTask(full));
  });
});

describe('the cron field', () => {
  it('reads a 6-field cron, seconds first, as a sentence', () => {
    expect(cronSentence('*/5 * * * * *')).toBe('Every 5 seconds');
    expect(cronSentence('0 30 9 * * MON-FRI')).toBe('At 09:30, Monday through Friday');
    expect(cronSentence('0 0 * * *')).toBeNull(); // 5 fields: the master refuses it, so no sentence pretends otherwise
    expect(cronSentence('0 61 * * * *')).toBeNull();
  });

  it('names a bad zone with the master own message, whatever the cron', () => {
    const message = zoneProblem('Mars/Olympus');
    const master = checkTrigger({ type: 'cron', expression: '0 0 * * * *', timezone: 'Mars/Olympus' });
    expect(master.ok).toBe(false);
    expect(!master.ok && master.message).toBe(message);
    expect(zoneProblem('Australia/Lord_Howe')).toBeNull();
    expect(zoneProblem('')).toBeNull();
  });

  it('writes a fire in the wall time and offset it was written in', () => {
    expect(fireText('2026-03-08T03:00:00-04:00')).toBe('Sun 8 Mar 2026, 03:00:00 (UTC-04:00)');
    expect(fireText('2026-01-01T00:00:00+00:00')).toBe('Thu 1 Jan 2026, 00:00:00 (UTC)');
  });
});
