// Property-based fuzzing of task import (issue 7): generated import files where one task of an otherwise good
// file is broken (unknown fields, wrong types, oversized strings, bad cron or zone, unknown group or parent,
// names clashing inside the file or with the master), or whose `tasks` is anything at all. Import is all or
// nothing: a refused file answers an error with a code, and groups, tasks and runs read with SQL are unchanged.
// Good files import exactly their tasks.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkImport } from '../../src-renderer/src/lib/task-transfer';
import { freshDatabase, prepare, startTestMaster, type TestMaster } from './harness';

let master: TestMaster;
let groupId = '';

beforeAll(async () => {
  master = await startTestMaster(await freshDatabase());
  ({ groupId } = await prepare(master, 'import-fuzz'));
  await master.api.call('tasks.create', { name: 'already-here', groupId, handler: 'noop', trigger: { type: 'api' } });
});
afterAll(async () => { await master?.stop(); });

async function snapshot(): Promise<string> {
  const tables = ['groups', 'tasks', 'runs'];
  return JSON.stringify(await Promise.all(tables.map(async (t) => (await master.db.query(`select * from ${t} order by id`)).rows)));
}

type Spec = Record<string, unknown>;

const trigger = fc.constantFrom<Spec>(
  { type: 'api' },
  { type: 'cron', expression: '*/30 * * * * *', timezone: 'Europe/Berlin' },
  { type: 'fixed_rate', intervalMs: 60_000 },
  { type: 'fixed_delay', delayMs: 60_000 },
);
const goodSpec = (i: number, tag: string) => fc.record({ handler: fc.constantFrom('shell', 'noop'), trigger, enabled: fc.boolean() })
  .map(({ handler, trigger: t, enabled }): Spec => ({
    name: `imp-${tag}-${i}`, groupId, handler, trigger: t, enabled, ...(handler === 'shell' ? { params: { command: `echo ${i}` } } : {}),
  }));

/** Ways to break one task, each something a hand-edited or hostile file could hold. */
const breakages: Array<(s: Spec) => Spec> = [
  ({ name: _name, ...rest }) => rest,
  (s) => ({ ...s, name: 'x'.repeat(300) }),
  (s) => ({ ...s, name: 12 }),
  (s) => ({ ...s, timeout: 5_000 }),
  (s) => ({ ...s, id: 'tsk_forged', createdAt: '2020-01-01T00:00:00Z' }),
  (s) => ({ ...s, handler: 'no-such-handler' }),
  (s) => ({ ...s, handler: 'shell', params: {} }),
  (s) => ({ ...s, handler: 'shell', params: { command: 'x'.repeat(100_000) } }),
  (s) => ({ ...s, trigger: { type: 'cron', expression: 'not a cron', timezone: 'UTC' } }),
  (s) => ({ ...s, trigger: { type: 'cron', expression: '* * * * * *', timezone: 'Mars/Olympus' } }),
  (s) => ({ ...s, trigger: { type: 'cron', expression: '*'.repeat(100_000), timezone: 'UTC' } }),
  (s) => ({ ...s, trigger: { type: 'sometimes' } }),
  (s) => ({ ...s, trigger: { type: 'parent', parents: ['tsk_nowhere'], on: 'success' } }),
  (s) => ({ ...s, groupId: 'grp_nowhere' }),
  (s) => ({ ...s, timeoutMs: -1 }),
  (s) => ({ ...s, retry: { count: 'three' } }),
  (s) => ({ ...s, alerts: { on: ['failed'], email: ['not-an-address'], webhook: null } }),
  (s) => ({ ...s, alerts: { on: ['failed'], email: [], webhook: 'http://169.254.169.254/latest/meta-data' } }),
  (s) => ({ ...s, name: 'already-here' }),
  (s) => ({ ...s, __proto__: { polluted: true } }),
];

const brokenFile = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.nat(), fc.nat(), fc.boolean(), fc.uuid())
  .chain(([size, at, how, clash, tag]) => fc.tuple(...Array.from({ length: size }, (_, i) => goodSpec(i, tag))).map((specs) => {
    const index = at % specs.length;
    specs[index] = breakages[how % breakages.length]!(specs[index]!);
    // A name given twice in one file, besides the broken task.
    if (clash && specs.length > 1) specs[(index + 1) % specs.length] = { ...specs[(index + 1) % specs.length]!, name: specs[index]!.name ?? 'dup' };
    return { tasks: specs };
  }));
const anyFile = fc.oneof(fc.record({ tasks: fc.anything() }), fc.anything(), fc.record({ tasks: fc.array(fc.object(), { maxLength: 3 }) }));

it('a broken or arbitrary import file is refused with a code and changes nothing', async () => {
  const before = await snapshot();
  await fc.assert(fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: brokenFile }, { weight: 1, arbitrary: anyFile }), async (file) => {
    const reply = await master.handle('tasks.import', file);
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error).toMatchObject({ code: expect.stringMatching(/^(invalid_input|conflict|not_found)$/), message: expect.any(String) });
      expect((reply.error as { message: string }).message.length).toBeGreaterThan(0);
    }
  }), { numRuns: 1_000 });
  expect(await snapshot()).toBe(before);
}, 240_000);

it('a good import file imports exactly its tasks', async () => {
  await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.uuid(), async (size, tag) => {
    const specs = Array.from({ length: size }, (_, i) => ({ name: `good-${tag}-${i}`, groupId, handler: 'noop', trigger: { type: 'api' as const } }));
    const created = await master.api.call('tasks.import', { tasks: specs });
    expect(created.map((t) => t.name)).toEqual(specs.map((s) => s.name));
    const stored = await master.db.query<{ name: string }>('select name from tasks where name like $1 order by name', [`good-${tag}-%`]);
    expect(stored.rows.map((r) => r.name)).toEqual(specs.map((s) => s.name).sort());
  }), { numRuns: 30 });
});

it("the console's file check never throws and refuses what is not a list of tasks", () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.anything().map((v) => JSON.stringify(v) ?? '')), (text) => {
    const checked = checkImport(text, [{ id: groupId, name: 'import-fuzz' } as never]);
    if (!checked.ok) expect(checked.errors.length).toBeGreaterThan(0);
    else expect(Array.isArray(JSON.parse(text))).toBe(true);
  }), { numRuns: 1_000 });
});
