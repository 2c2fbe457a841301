// Whether a task definition may be stored, and its first fire.
import { describe, expect, it } from 'vitest';
import { TaskInput, type TaskSpec } from '../../src-main/master/api/contract/domain';
import { checkTaskSpec, firstFire } from '../../src-main/master/scheduler/task-rules';

const spec = (over: Record<string, unknown>): TaskSpec =>
  TaskInput.parse({ name: 't', groupId: 'g1', handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' }, ...over });
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
    ['unknown handler', { handler: 'nosuch' }, 'handler'],
    ['shell without a command', { params: {} }, 'params.command'],
    ['shell with an empty command', { params: { command: '' } }, 'params.command'],
    ['http without a url', { handler: 'http', params: {} }, 'params.url'],
    ['http with a ftp url', { handler: 'http', params: { url: 'ftp://x' } }, 'params.url'],
    ['http with an unknown param', { handler: 'http', params: { url: 'http://x', retries: 3 } }, 'params'],
    ['js with a relative module', { handler: 'js', params: { module: './job.mjs' } }, 'params.module'],
  ])('refuses %s, naming %s', (_what, over, field) => {
    const error = checkTaskSpec(spec(over), world);
    expect(error?.code).toBe('invalid_input');
    expect(error?.field).toBe(field);
    expect(error?.message.startsWith(`${field}:`)).toBe(true);
  });

  it.each([
    ['http', { url: 'https://example.com/hook', method: 'POST' }],
    ['js', { module: '/srv/jobs/report.mjs' }],
    ['js', { module: 'C:\\jobs\\report.mjs' }],
    ['noop', {}],
    ['sharding-demo', { anything: 1 }],
    ['shell', { command: 'echo $BATON_PARAM_DAY', day: 'mon' }],
  ])('accepts %s with %o', (handler, params) => {
    expect(checkTaskSpec(spec({ handler, params }), world)).toBeNull();
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
