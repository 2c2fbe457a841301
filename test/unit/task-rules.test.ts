// Whether a task definition may be stored, and its first fire.
import { describe, expect, it } from 'vitest';
import { TaskInput, type TaskSpec } from '../../src-main/master/api/contract/domain';
import { checkTaskSpec, firstFire } from '../../src-main/master/scheduler/task-rules';

const spec = (over: Record<string, unknown>): TaskSpec =>
  TaskInput.parse({ name: 't', groupId: 'g1', handler: 'shell', trigger: { type: 'api' }, ...over });
const world = { taskId: null, groupIds: new Set(['g1']), taskIds: new Set(['a', 'b']), links: { b: ['a'] } };

describe('checkTaskSpec', () => {
  it('accepts a valid task', () => {
    expect(checkTaskSpec(spec({}), world)).toBeNull();
  });

  it.each([
    ['unknown group', { groupId: 'g2' }, 'groupId'],
    ['5-field cron', { trigger: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } }, 'trigger.expression'],
    ['unknown zone', { trigger: { type: 'cron', expression: '* * * * * *', timezone: 'Mars/Olympus' } }, 'trigger.timezone'],
    ['window backwards', { startAt: '2030-01-02T00:00:00Z', endAt: '2030-01-01T00:00:00Z' }, 'endAt'],
    ['specific without worker', { routing: { strategy: 'specific' } }, 'routing.workerId'],
    ['hash without key', { routing: { strategy: 'consistent_hash' } }, 'routing.hashKey'],
    ['unknown parent', { trigger: { type: 'parent', parents: ['zzz'], on: 'success' } }, 'trigger.parents'],
  ])('refuses %s, naming %s', (_what, over, field) => {
    const error = checkTaskSpec(spec(over), world);
    expect(error?.code).toBe('invalid_input');
    expect(error?.field).toBe(field);
    expect(error?.message.startsWith(`${field}:`)).toBe(true);
  });

  it('refuses a parent link that closes a cycle, showing it', () => {
    const error = checkTaskSpec(spec({ trigger: { type: 'parent', parents: ['b'], on: 'always' } }), { ...world, taskId: 'a' });
    expect(error?.field).toBe('trigger.parents');
    expect(error?.message).toMatch(/a → b → a/);
  });
});

describe('firstFire', () => {
  const now = Date.parse('2030-01-01T00:00:00.500Z');
  it('is the next cron instant', () => {
    expect(firstFire(spec({ trigger: { type: 'cron', expression: '*/5 * * * * *', timezone: 'UTC' } }), now)).toBe(Date.parse('2030-01-01T00:00:05Z'));
  });
  it('is one delay after now for fixed_delay', () => {
    expect(firstFire(spec({ trigger: { type: 'fixed_delay', delayMs: 2000 } }), now)).toBe(now + 2000);
  });
  it('is none for API-only and parent triggers', () => {
    expect(firstFire(spec({}), now)).toBeNull();
    expect(firstFire(spec({ trigger: { type: 'parent', parents: ['a'], on: 'success' } }), now)).toBeNull();
  });
});

describe('contract messages', () => {
  it('say a missing field "is required"', () => {
    const result = TaskInput.safeParse({ groupId: 'g1', handler: 'shell', trigger: { type: 'api' } });
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['name', 'is required']]);
  });
});
