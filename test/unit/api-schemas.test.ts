// The API contract's input schemas are strict and bounded (issue 7, finding 8): unknown fields are refused and
// named, every string has a length limit, runs.list.before is checked; fuzzed with fast-check over every method.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { closestField, invalidInput, LIMITS, methods, TaskInput, type MethodName } from '../../src-main/master/api/contract';

const task = { name: 't', groupId: 'g1', handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' } };

/** Parses `input` with `method`'s input schema; the error as the API sends it, or null when it passes. */
function refusal(method: MethodName, input: unknown) {
  const parsed = methods[method].input.safeParse(input);
  return parsed.success ? null : invalidInput(parsed.error);
}

describe('unknown fields', () => {
  it('refuses timeout for timeoutMs, naming timeout and what it likely meant', () => {
    const error = refusal('tasks.create', { ...task, timeout: 5_000 });
    expect(error?.code).toBe('invalid_input');
    expect(error?.field).toBe('timeout');
    expect(error?.message).toBe('timeout: unknown field timeout (did you mean timeoutMs?)');
  });

  it.each([
    ['a trigger', { ...task, trigger: { type: 'cron', expression: '* * * * * *', tz: 'UTC' } }, 'trigger.tz'],
    ['routing', { ...task, routing: { strategy: 'first', worker: 'w1' } }, 'routing.worker'],
    ['retry', { ...task, retry: { count: 2, delay: 10 } }, 'retry.delay'],
    ['alerts', { ...task, alerts: { on: ['failed'], webhooks: ['https://x.example'] } }, 'alerts.webhooks'],
    ['a declared trigger param', { ...task, triggerParams: { region: { type: 'string', optional: true } } }, 'triggerParams.region.optional'],
  ])('refuses one inside %s, naming its path', (_what, input, field) => {
    expect(refusal('tasks.create', input)?.field).toBe(field);
  });

  it('names the unknown field before the missing one it was meant to be', () => {
    const { name: _name, ...rest } = task;
    const error = refusal('tasks.create', { ...rest, nmae: 't' });
    expect(error?.field).toBe('nmae');
    expect(error?.message).toMatch(/did you mean name\?/);
  });

  it('refuses them in a patch and in every small method too', () => {
    expect(refusal('tasks.update', { id: 'x', patch: { enable: false } })?.field).toBe('patch.enable');
    expect(refusal('tasks.update', { id: 'x', patch: {}, force: true })?.field).toBe('force');
    expect(refusal('master.info', { verbose: true })?.field).toBe('verbose');
    expect(refusal('runs.list', { task: 'tsk_1' })?.message).toMatch(/did you mean taskId\?/);
    expect(refusal('tasks.trigger', { id: 'x', param: {} })?.message).toMatch(/did you mean params\?/);
  });

  it('still accepts a task as the console and the import file send it', () => {
    expect(TaskInput.safeParse({ ...task, description: 'd', timeoutMs: 1, triggerParams: { region: { type: 'string', required: true } } }).success).toBe(true);
  });
});

describe('closestField', () => {
  it.each([
    ['timeout', 'timeoutMs'], ['nmae', 'name'], ['Enabled', 'enabled'], ['hanlder', 'handler'], ['zzz', null], ['id', null],
  ])('guesses %s → %s', (key, guess) => {
    expect(closestField(key, ['name', 'handler', 'timeoutMs', 'enabled', 'groupId'])).toBe(guess);
  });
});

describe('length limits', () => {
  it.each([
    ['a 201-character name', { ...task, name: 'n'.repeat(201) }, 'name'],
    ['a 2,001-character description', { ...task, description: 'd'.repeat(2_001) }, 'description'],
    ['a 100 KB cron expression', { ...task, trigger: { type: 'cron', expression: '* '.repeat(50_000), timezone: 'UTC' } }, 'trigger.expression'],
    ['a 300-character time zone', { ...task, trigger: { type: 'cron', expression: '* * * * * *', timezone: 'Z'.repeat(300) } }, 'trigger.timezone'],
    ['params over 64 KiB', { ...task, params: { command: 'true', blob: 'x'.repeat(LIMITS.paramsBytes) } }, 'params'],
    ['a 200-character param name', { ...task, params: { command: 'true', ['k'.repeat(200)]: 1 } }, `params.${'k'.repeat(200)}`],
    ['65 labels', { ...task, routing: { labels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'v'])) } }, 'routing.labels'],
    ['a 300-character label value', { ...task, routing: { labels: { zone: 'z'.repeat(300) } } }, 'routing.labels.zone'],
    ['a 300-character email', { ...task, alerts: { on: ['failed'], email: [`${'a'.repeat(290)}@example.com`] } }, 'alerts.email.0'],
    ['a one-shot time with 100,000 fraction digits', { ...task, trigger: { type: 'once', at: `2030-01-01T00:00:00.${'1'.repeat(100_000)}Z` } }, 'trigger.at'],
    ['a start time with 100,000 fraction digits', { ...task, startAt: `2030-01-01T00:00:00.${'1'.repeat(100_000)}Z` }, 'startAt'],
    ['a million alert states', { ...task, alerts: { on: Array.from({ length: 1_000_000 }, () => 'failed'), webhook: 'https://x.example' } }, 'alerts.on'],
    ['65 declared trigger params', { ...task, triggerParams: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, { type: 'string' }])) }, 'triggerParams'],
    ['a trigger param name that is no identifier', { ...task, triggerParams: { 'my-region': { type: 'string' } } }, 'triggerParams.my-region'],
  ])('refuses %s, naming the field', (_what, input, field) => {
    const error = refusal('tasks.create', input);
    expect(error?.code).toBe('invalid_input');
    expect(error?.field).toBe(field);
  });

  it('refuses params that cannot be JSON, as IPC could carry them', () => {
    const cyclic: Record<string, unknown> = { command: 'true' };
    cyclic.self = cyclic;
    expect(refusal('tasks.create', { ...task, params: cyclic })?.field).toBe('params');
    expect(refusal('tasks.trigger', { id: 'x', params: { n: 10n } })?.message).toMatch(/must be JSON/);
  });

  it('refuses trigger params over 64 KiB', () => {
    expect(refusal('tasks.trigger', { id: 'x', params: { blob: 'x'.repeat(LIMITS.paramsBytes) } })?.field).toBe('params');
    expect(refusal('tasks.trigger', { id: 'x', params: { region: 'eu' } })).toBeNull();
  });
});

describe('runs.list.before', () => {
  it('takes a run id, as the previous page ended', () => {
    expect(refusal('runs.list', { before: 'run_0mhf2k3l1a1b2c3d4e5f6' })).toBeNull();
  });

  it.each([['not an id', 'yesterday'], ['a task id', 'tsk_0mhf2k3l1a1b2c3d4e5f6'], ['SQL', "run_' or 1=1 --"], ['a long string', `run_${'0'.repeat(5_000)}`]])(
    'refuses %s, naming before', (_what, before) => {
      expect(refusal('runs.list', { before })?.field).toBe('before');
    },
  );
});

// Property-based: whatever the method, an input with a field its schema does not know, or a known field of the
// wrong type, never passes, and the error names a field.
describe('every method input, fuzzed', () => {
  const names = Object.keys(methods) as MethodName[];
  const shapeOf = (method: MethodName) => (methods[method].input as unknown as z.ZodObject).shape;
  // Keys that are no field of any input and that JavaScript objects treat specially are left out of the generator.
  const unknownKey = (known: string[]) => fc.string({ minLength: 1, maxLength: 20 })
    .filter((k) => !known.includes(k) && k !== '__proto__' && k !== 'constructor');

  it('refuses an unknown field in any input, naming it first', () => {
    fc.assert(fc.property(
      fc.constantFrom(...names).chain((method) => {
        const known = Object.keys(shapeOf(method));
        const someKnown = fc.dictionary(fc.constantFrom(...(known.length ? known : ['id'])), fc.anything(), { maxKeys: 3 })
          .map((d) => Object.fromEntries(Object.entries(d).filter(([k]) => known.includes(k))));
        return fc.tuple(fc.constant(method), someKnown, unknownKey(known), fc.anything());
      }),
      ([method, base, key, value]) => {
        const error = refusal(method, { ...base, [key]: value });
        expect(error?.code).toBe('invalid_input');
        // The first field named is an unknown one: this key, or one inside a generated nested value.
        const issues = (error?.data as { issues: Array<{ path: string; message: string }> }).issues;
        expect(issues[0]!.message).toMatch(/^unknown field/);
        expect(error?.field).toBe(issues[0]!.path);
        expect(error?.data).toMatchObject({ issues: expect.arrayContaining([{ path: key, message: expect.stringMatching(/^unknown field/) }]) });
      },
    ), { numRuns: 1_000 });
  });

  it('refuses a known field of the wrong type in any input, naming a field', () => {
    const withFields = names.filter((m) => Object.keys(shapeOf(m)).length > 0);
    fc.assert(fc.property(
      fc.constantFrom(...withFields).chain((method) => fc.tuple(
        fc.constant(method), fc.constantFrom(...Object.keys(shapeOf(method))),
        fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.anything(), { maxLength: 3 }), fc.object({ maxDepth: 1 }), fc.string({ maxLength: 30 })),
      )),
      ([method, key, value]) => {
        const field = shapeOf(method)[key]!;
        fc.pre(!field.safeParse(value).success); // only values this field refuses
        const error = refusal(method, { [key]: value });
        expect(error?.code).toBe('invalid_input');
        expect(error?.field).toBeTruthy();
        expect(error?.data).toMatchObject({ issues: expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(new RegExp(`^${key}(\\.|$)`)) })]) });
      },
    ), { numRuns: 1_000 });
  });
});
