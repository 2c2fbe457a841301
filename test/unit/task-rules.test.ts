// Whether a task definition may be stored, and its first fire.
import { describe, expect, it } from 'vitest';
import { TaskInput, type TaskSpec } from '../../src-main/master/api/contract/domain';
import { checkTaskSpec, firstFire } from '../../src-main/master/scheduler/task-rules';
import { defaultRules, parseAllowList } from 'baton-agent/outbound';
import { catalogueOf } from '../../src-main/master/handlers/catalogue';

const spec = (over: Record<string, unknown>): TaskSpec =>
  TaskInput.parse({ name: 't', groupId: 'g1', handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' }, ...over });
const world = { taskId: null, groupIds: new Set(['g1']), taskIds: new Set(['a', 'b']), links: { b: ['a'] }, outbound: defaultRules('BATON_OUTBOUND_ALLOW'), handlers: catalogueOf([]) };

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
    ['http with an unknown param', { handler: 'http', params: { url: 'http://x', retries: 3 } }, 'params.retries'],
    ['js with a relative module', { handler: 'js', params: { module: './job.mjs' } }, 'params.module'],
    ['a trigger param named like the command', { triggerParams: { command: { type: 'string' } } }, 'triggerParams.command'],
    ['a trigger param for http, which takes none', { handler: 'http', params: { url: 'http://x' }, triggerParams: { region: { type: 'string' } } }, 'triggerParams.region'],
    ['two trigger params with one shell variable', { triggerParams: { Region: { type: 'string' }, region: { type: 'string' } } }, 'triggerParams.region'],
    ['a webhook to the metadata service', { alerts: { on: ['failed'], webhook: 'http://169.254.169.254/latest/meta-data/' } }, 'alerts.webhook'],
    ['a webhook to a metadata name', { alerts: { on: ['failed'], webhook: 'http://metadata.google.internal/computeMetadata/v1/' } }, 'alerts.webhook'],
    ['an http task to the metadata service in hex', { handler: 'http', params: { url: 'http://0xa9fea9fe/' } }, 'params.url'],
    ['an http task to an IPv4-mapped link-local address', { handler: 'http', params: { url: 'http://[::ffff:169.254.1.1]/' } }, 'params.url'],
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

  it('accepts a metadata webhook that BATON_OUTBOUND_ALLOW allows, and names the setting when it does not', () => {
    const webhook = { alerts: { on: ['failed'], webhook: 'http://169.254.169.254/hook' } };
    const allow = parseAllowList('169.254.169.254', 'BATON_OUTBOUND_ALLOW');
    if (!allow.ok) throw new Error(allow.message);
    expect(checkTaskSpec(spec(webhook), { ...world, outbound: allow.rules })).toBeNull();
    expect(checkTaskSpec(spec(webhook), world)?.message).toMatch(/BATON_OUTBOUND_ALLOW=169\.254\.169\.254/);
  });

  it('accepts declared trigger params that the shell handler passes on', () => {
    expect(checkTaskSpec(spec({ triggerParams: { region: { type: 'string', maxLength: 8 }, dryRun: { type: 'boolean' } } }), world)).toBeNull();
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
