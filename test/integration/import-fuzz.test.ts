// Property-based fuzzing of the definitions import (issues 7 and 9): generated baton/v1 files where one task of an
// otherwise good file is broken (unknown fields, wrong types, oversized strings, bad cron or zone, unknown handler,
// group or parent, names clashing inside the file), or files that are anything at all. Import is all or nothing:
// a refused file answers invalid_input naming every problem at its JSON path, and groups, tasks and runs read with
// SQL are unchanged. Good files import exactly their tasks.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, prepare, startTestMaster, type TestMaster } from './harness';

let master: TestMaster;
const GROUP = 'import-fuzz';

beforeAll(async () => {
  master = await startTestMaster(await freshDatabase());
  const { groupId } = await prepare(master, GROUP);
  await master.api.call('tasks.create', { name: 'already-here', groupId, handler: 'noop', trigger: { type: 'api' } });
});
afterAll(async () => { await master?.stop(); });

async function snapshot(): Promise<string> {
  const tables = ['groups', 'tasks', 'runs'];
  return JSON.stringify(await Promise.all(tables.map(async (t) => (await master.db.query(`select * from ${t} order by id`)).rows)));
}

type Spec = Record<string, unknown>;

const file = (tasks: unknown, extra: Spec = {}) => JSON.stringify({ format: 'baton/v1', exportedAt: '2030-01-01T00:00:00Z', groups: [], tasks, ...extra });

const trigger = fc.constantFrom<Spec>(
  { type: 'api' },
  { type: 'cron', expression: '*/30 * * * * *', timezone: 'Europe/Berlin' },
  { type: 'fixed_rate', intervalMs: 60_000 },
  { type: 'fixed_delay', delayMs: 60_000 },
);
const goodSpec = (i: number, tag: string) => fc.record({ handler: fc.constantFrom('shell', 'noop'), trigger, enabled: fc.boolean() })
  .map(({ handler, trigger: t, enabled }): Spec => ({
    name: `imp-${tag}-${i}`, group: GROUP, handler, trigger: t, enabled, ...(handler === 'shell' ? { params: { command: `echo ${i}` } } : {}),
  }));

/** Ways to break one task, each something a hand-edited or hostile file could hold. */
const breakages: Array<(s: Spec) => Spec> = [
  ({ name: _name, ...rest }) => rest,
  (s) => ({ ...s, name: 'x'.repeat(300) }),
  (s) => ({ ...s, name: 12 }),
  (s) => ({ ...s, timeout: 5_000 }),
  (s) => ({ ...s, id: 'tsk_forged', createdAt: '2020-01-01T00:00:00Z' }),
  (s) => ({ ...s, groupId: 'grp_forged' }),
  (s) => ({ ...s, handler: 'no-such-handler' }),
  (s) => ({ ...s, handler: 'shell', params: {} }),
  (s) => ({ ...s, handler: 'shell', params: { command: 'x'.repeat(100_000) } }),
  (s) => ({ ...s, trigger: { type: 'cron', expression: 'not a cron', timezone: 'UTC' } }),
  (s) => ({ ...s, trigger: { type: 'cron', expression: '* * * * * *', timezone: 'Mars/Olympus' } }),
  (s) => ({ ...s, trigger: { type: 'cron', expression: '*'.repeat(100_000), timezone: 'UTC' } }),
  (s) => ({ ...s, trigger: { type: 'sometimes' } }),
  (s) => ({ ...s, trigger: { type: 'parent', parents: ['nowhere'], on: 'success' } }),
  (s) => ({ ...s, trigger: { type: 'parent', parents: [s.name], on: 'success' } }),
  (s) => ({ ...s, group: 'no-such-group' }),
  (s) => ({ ...s, timeoutMs: -1 }),
  (s) => ({ ...s, retry: { count: 'three' } }),
  (s) => ({ ...s, alerts: { on: ['failed'], email: ['not-an-address'], webhook: null } }),
  (s) => ({ ...s, alerts: { on: ['failed'], email: [], webhook: 'http://169.254.169.254/latest/meta-data' } }),
  // An own "__proto__" key, as JSON text can carry it: refused as an unknown field, never a prototype.
  (s) => Object.defineProperty({ ...s }, '__proto__', { value: { polluted: true }, enumerable: true }),
];

const brokenFile = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.nat(), fc.nat(), fc.boolean(), fc.uuid())
  .chain(([size, at, how, clash, tag]) => fc.tuple(...Array.from({ length: size }, (_, i) => goodSpec(i, tag))).map((specs) => {
    const index = at % specs.length;
    specs[index] = breakages[how % breakages.length]!(specs[index]!);
    // A name given twice in one file, besides the broken task.
    if (clash && specs.length > 1) specs[(index + 1) % specs.length] = { ...specs[(index + 1) % specs.length]!, name: specs[index]!.name ?? 'dup' };
    return file(specs);
  }));
const anyFile = fc.oneof(
  fc.anything().map((v) => file(v)),
  fc.anything().map((v) => JSON.stringify(v) ?? ''),
  fc.string(),
  fc.array(fc.object(), { maxLength: 3 }).map((tasks) => file(tasks)),
  fc.object().map((extra) => file([], extra)),
);

it('a broken or arbitrary definitions file is refused with its paths (or, empty, imports nothing) and changes nothing', async () => {
  const before = await snapshot();
  await fc.assert(fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: brokenFile }, { weight: 1, arbitrary: anyFile }), fc.constantFrom('skip', 'overwrite', 'rename'), async (text, onConflict) => {
    const reply = await master.handle('definitions.apply', { text, onConflict });
    // Only a file with nothing in it (no groups, no tasks) is good, and it imports nothing.
    if (reply.ok) expect(reply.value).toMatchObject({ items: [], changes: false });
    else {
      const error = reply.error as { code: string; message: string; data?: { problems?: Array<{ path: string; message: string }> } };
      expect(error.code).toBe('invalid_input');
      expect(error.message.length).toBeGreaterThan(0);
      // A refused file (not a refused call, such as text that is no string) lists its problems, each at a path.
      if (error.data?.problems) for (const p of error.data.problems) expect(p.path.length * p.message.length).toBeGreaterThan(0);
    }
  }), { numRuns: 1_000 });
  expect(await snapshot()).toBe(before);
}, 240_000);

it('a good definitions file imports exactly its tasks', async () => {
  await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.uuid(), async (size, tag) => {
    const specs = Array.from({ length: size }, (_, i) => ({ name: `good-${tag}-${i}`, group: GROUP, handler: 'noop', trigger: { type: 'api' as const } }));
    const plan = await master.api.call('definitions.apply', { text: file(specs) });
    expect(plan.items.map((i) => [i.action, i.name])).toEqual(specs.map((s) => ['create', s.name]));
    const stored = await master.db.query<{ name: string }>('select name from tasks where name like $1 order by name', [`good-${tag}-%`]);
    expect(stored.rows.map((r) => r.name)).toEqual(specs.map((s) => s.name).sort());
  }), { numRuns: 30 });
});
