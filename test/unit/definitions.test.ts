// The baton/v1 definitions file (issue 9), as pure decisions: canonical export, reading a file (every problem with
// its JSON path), the import plan under each conflict policy, and the committed JSON Schema kept fresh.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Group, Task, TaskInput, type TaskInput as TaskInputType } from '../../src-main/master/api/contract/domain';
import type { DefinitionsFile } from '../../src-main/master/api/contract/definitions';
import { buildDefinitions, formatDefinitions, type StoredDefinitions } from '../../src-main/master/definitions/canonical';
import { definitionsJsonSchemaText, SCHEMA_FILE } from '../../src-main/master/definitions/json-schema';
import { parseDefinitions } from '../../src-main/master/definitions/parse';
import { planImport, taskKey } from '../../src-main/master/definitions/plan';

const STAMP = '2030-01-01T00:00:00.000Z';
const outbound = { hosts: [], nets: [] } as never;

function group(id: string, name: string, description = ''): Group {
  return { id, name, description, createdAt: STAMP, updatedAt: STAMP };
}
function task(id: string, groupId: string, input: Omit<TaskInputType, 'groupId'>): Task {
  return Task.parse({ ...TaskInput.parse({ ...input, groupId }), id, createdAt: STAMP, updatedAt: STAMP, nextFireAt: null });
}

const stored: StoredDefinitions = {
  groups: [group('grp_b', 'batch', 'nightly work'), group('grp_a', 'alpha')],
  tasks: [
    task('tsk_2', 'grp_b', { name: 'report', handler: 'noop', trigger: { type: 'parent', parents: ['tsk_1', 'tsk_3'], on: 'success' } }),
    task('tsk_1', 'grp_b', {
      name: 'extract', handler: 'shell', params: { command: 'echo', zeta: 1, alpha: { y: 2, x: 1 } }, trigger: { type: 'cron', expression: '0 0 1 * * *', timezone: 'UTC' },
      triggerParams: { region: { type: 'string' }, day: { type: 'integer' } },
      alerts: { on: ['failed'], email: ['ops@example.com'], webhook: null },
    }),
    task('tsk_3', 'grp_a', { name: 'ping', handler: 'noop', trigger: { type: 'api' } }),
  ],
  workers: [],
};

function fileOf(s: StoredDefinitions = stored): DefinitionsFile {
  const built = buildDefinitions(s, {}, STAMP);
  if (!built.ok) throw new Error(built.message);
  return built.file;
}

describe('export', () => {
  it('writes groups and tasks by name in canonical order, parents by name, nothing the master owns', () => {
    const file = fileOf();
    expect(file.groups.map((g) => g.name)).toEqual(['alpha', 'batch']);
    expect(file.tasks.map((t) => `${t.group}/${t.name}`)).toEqual(['alpha/ping', 'batch/extract', 'batch/report']);
    expect(file.tasks[2]!.trigger).toEqual({ type: 'parent', parents: ['extract', { group: 'alpha', task: 'ping' }], on: 'success', join: 'all_succeeded' });
    const text = formatDefinitions(file);
    expect(text).not.toMatch(/tsk_|grp_|createdAt|updatedAt|nextFireAt|"id"/);
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(file.tasks[1]!).slice(0, 3)).toEqual(['name', 'group', 'description']);
    expect(Object.keys(file.tasks[1]!.params)).toEqual(['alpha', 'command', 'zeta']);
    expect(Object.keys(file.tasks[1]!.params.alpha as object)).toEqual(['x', 'y']);
    expect(Object.keys(file.tasks[1]!.triggerParams)).toEqual(['day', 'region']);
  });

  it('carries every setting TaskInput has, so a new setting travels without a change to the format', () => {
    const keys = Object.keys(fileOf().tasks[0]!).sort();
    expect(keys).toEqual([...Object.keys(TaskInput.shape).filter((k) => k !== 'groupId'), 'group'].sort());
  });

  it('is the same bytes whatever order the master lists things in', () => {
    const shuffled = { ...stored, groups: [...stored.groups].reverse(), tasks: [...stored.tasks].reverse() };
    expect(formatDefinitions(fileOf(shuffled))).toBe(formatDefinitions(fileOf()));
  });

  it('filters by group and by task name, and refuses a name the master does not have', () => {
    const byGroup = buildDefinitions(stored, { groups: ['alpha'] }, STAMP);
    expect(byGroup.ok && byGroup.file.tasks.map((t) => t.name)).toEqual(['ping']);
    const byTask = buildDefinitions(stored, { tasks: ['report'] }, STAMP);
    expect(byTask.ok && [byTask.file.groups.map((g) => g.name), byTask.file.tasks.map((t) => t.name)]).toEqual([['batch'], ['report']]);
    expect(buildDefinitions(stored, { groups: ['alpha', 'nope'] }, STAMP)).toEqual({ ok: false, field: 'groups.1', message: 'no group named "nope" on this master' });
  });
});

describe('reading a file', () => {
  const good = formatDefinitions(fileOf());
  const edit = (change: (file: Record<string, any>) => void) => {
    const file = JSON.parse(good);
    change(file);
    return JSON.stringify(file);
  };
  const paths = (text: string) => {
    const parsed = parseDefinitions(text);
    return parsed.ok ? [] : parsed.problems.map((p) => p.path);
  };

  it('reads its own export', () => {
    expect(parseDefinitions(good)).toMatchObject({ ok: true, file: { format: 'baton/v1' } });
  });

  it.each([
    ['not JSON', '{"format": "baton/v1", ', ['(file)'], /not valid JSON/],
    ['the old console export (an array)', '[]', ['(file)'], /must be a JSON object/],
    ['another format version', edit((f) => { f.format = 'baton/v2'; }), ['format'], /"baton\/v2" is not a format this master reads/],
    ['no format', edit((f) => { delete f.format; }), ['format'], /is required/],
    ['a task without a handler', edit((f) => { delete f.tasks[1].handler; }), ['tasks[1].handler'], /is required/],
    ['an unknown field', edit((f) => { f.tasks[0].timeout = 5; }), ['tasks[0].timeout'], /unknown field timeout \(did you mean timeoutMs\?\)/],
    ['a master-owned id', edit((f) => { f.groups[0].id = 'grp_1'; }), ['groups[0].id'], /unknown field id/],
    ['a 5 MB file', `${good.slice(0, -2)}, "pad": "${'x'.repeat(5_000_000)}"}`, ['(file)'], /^50\d{5} bytes is more than a definitions file may have/],
  ])('refuses %s, naming where', (_what, text, expected, message) => {
    const parsed = parseDefinitions(text);
    expect(parsed.ok).toBe(false);
    expect(paths(text)).toEqual(expected);
    expect(!parsed.ok && parsed.problems[0]!.message).toMatch(message);
  });

  it('lists every problem, not just the first', () => {
    const text = edit((f) => { f.tasks[0].retry = { count: 'three' }; f.tasks[2].timeoutMs = -1; f.groups[1].description = 5; });
    expect(paths(text).sort()).toEqual(['groups[1].description', 'tasks[0].retry.count', 'tasks[2].timeoutMs']);
  });

  it('refuses names given twice, naming both places', () => {
    const text = edit((f) => { f.groups.push({ name: 'alpha' }); f.tasks.push({ ...f.tasks[0] }); });
    const parsed = parseDefinitions(text);
    expect(!parsed.ok && parsed.problems).toEqual([
      { path: 'groups[2].name', message: 'group "alpha" is also groups[0]; a name may appear once' },
      { path: 'tasks[3].name', message: 'task "ping" of group "alpha" is also tasks[0]; a name may appear once per group' },
    ]);
  });
});

describe('the import plan', () => {
  const empty: StoredDefinitions = { groups: [], tasks: [], workers: [] };
  const plan = (file: DefinitionsFile, on: StoredDefinitions, policy: 'skip' | 'overwrite' | 'rename' = 'skip') => planImport(file, on, policy, outbound);
  const actions = (result: ReturnType<typeof plan>) => (result.ok ? result.plan.items.map((i) => `${i.action} ${i.kind} ${i.group ? `${i.group}/` : ''}${i.name}`) : result.problems);

  it('creates everything on an empty master, parents before children', () => {
    const result = plan(fileOf(), empty);
    expect(actions(result)).toEqual(['create group alpha', 'create group batch', 'create task alpha/ping', 'create task batch/extract', 'create task batch/report']);
    expect(result.ok && result.plan.changes).toBe(true);
    const order = result.ok ? result.writes.tasks.map((w) => w.spec.name) : [];
    expect(order.indexOf('report')).toBeGreaterThan(order.indexOf('extract'));
    expect(result.ok && result.writes.tasks.find((w) => w.spec.name === 'report')!.parents).toEqual([taskKey('batch', 'extract'), taskKey('alpha', 'ping')]);
  });

  it('finds nothing to do when the master already has the file', () => {
    const result = plan(fileOf(), stored);
    expect(result.ok && result.plan.items.every((i) => i.action === 'unchanged')).toBe(true);
    expect(result.ok && [result.plan.changes, result.writes]).toEqual([false, { groups: [], tasks: [] }]);
  });

  describe('a task that differs from the master\'s', () => {
    const file = fileOf();
    file.tasks[1] = { ...file.tasks[1]!, timeoutMs: 9_000, description: 'changed' };
    file.groups[1] = { ...file.groups[1]!, description: 'other words' };

    it('skip: listed as a conflict and left alone', () => {
      const result = plan(file, stored, 'skip');
      expect(result.ok && result.plan.items.filter((i) => i.action !== 'unchanged')).toMatchObject([
        { kind: 'group', name: 'batch', action: 'conflict', changes: ['description'] },
        { kind: 'task', name: 'extract', action: 'conflict', changes: ['description', 'timeoutMs'] },
      ]);
      expect(result.ok && [result.plan.changes, result.writes.tasks.length, result.writes.groups.length]).toEqual([false, 0, 0]);
    });

    it('overwrite: updated in place, keeping its id', () => {
      const result = plan(file, stored, 'overwrite');
      expect(result.ok && result.writes.tasks).toMatchObject([{ action: 'update', id: 'tsk_1', spec: { timeoutMs: 9_000 } }]);
      expect(result.ok && result.writes.groups).toEqual([{ action: 'update', id: 'grp_b', name: 'batch', description: 'other words' }]);
    });

    it('rename: a copy under a free name, its tasks going with it', () => {
      const result = plan(file, stored, 'rename');
      expect(actions(result)).toEqual([
        'unchanged group alpha', 'create group batch-2', 'unchanged task alpha/ping', 'create task batch-2/extract', 'create task batch-2/report',
      ]);
      expect(result.ok && result.plan.items[1]!.renamedFrom).toBe('batch');
      // The copied child follows its copied parent, and still waits for the master's alpha/ping.
      expect(result.ok && result.writes.tasks.find((w) => w.spec.name === 'report')!.parents).toEqual([taskKey('batch-2', 'extract'), taskKey('alpha', 'ping')]);
    });

    it('rename of a task alone: name-2', () => {
      const only = fileOf();
      only.tasks[1] = { ...only.tasks[1]!, timeoutMs: 9_000 };
      expect(actions(plan(only, stored, 'rename'))).toContain('create task batch/extract-2');
    });
  });

  it('refuses a parent that is neither in the file nor on the master', () => {
    const file = fileOf();
    file.tasks = file.tasks.filter((t) => t.name !== 'extract');
    expect(plan(file, empty)).toEqual({ ok: false, problems: [{ path: 'tasks[1].trigger.parents[0]', message: 'no task "extract" in group "batch" in the file or on the master' }] });
    expect(plan(file, stored).ok).toBe(true);
  });

  it('refuses a task whose group is neither in the file nor on the master', () => {
    const file = fileOf();
    file.groups = [];
    expect(actions(plan(file, empty))).toEqual([
      { path: 'tasks[0].group', message: 'no group "alpha" in the file or on the master; add it to "groups"' },
      { path: 'tasks[1].group', message: 'no group "batch" in the file or on the master; add it to "groups"' },
      { path: 'tasks[2].group', message: 'no group "batch" in the file or on the master; add it to "groups"' },
    ]);
  });

  it('refuses a parent cycle inside the file, and one closed with the master\'s tasks', () => {
    const file = fileOf();
    file.tasks[1] = { ...file.tasks[1]!, trigger: { type: 'parent', parents: ['report'], on: 'always', join: 'all_succeeded' } };
    const result = plan(file, empty);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(['tasks[1].trigger.parents', 'tasks[2].trigger.parents']);
    expect(!result.ok && result.problems[0]!.message).toBe('these parents would make a cycle: batch/extract → batch/report → batch/extract');
    // Only ping changes, on a master where report already waits for ping: ping after report loops.
    const one = { ...fileOf(), groups: [], tasks: [{ ...fileOf().tasks[0]!, trigger: { type: 'parent' as const, parents: [{ group: 'batch', task: 'report' }], on: 'success' as const, join: 'all_succeeded' as const } }] };
    const closed = plan(one, stored, 'overwrite');
    expect(!closed.ok && closed.problems[0]!.message).toMatch(/cycle: alpha\/ping → batch\/report → alpha\/ping/);
  });

  it('refuses an unknown handler and a bad cron, each at its path, with the rest of the file', () => {
    const file = fileOf();
    file.tasks[0] = { ...file.tasks[0]!, handler: 'teleport' };
    file.tasks[1] = { ...file.tasks[1]!, trigger: { type: 'cron', expression: 'not a cron', timezone: 'UTC' } };
    const result = plan(file, empty);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(['tasks[0].handler', 'tasks[1].trigger.expression']);
    expect(!result.ok && result.problems[0]!.message).toMatch(/"teleport" is not a handler this group's agents offer/);
  });

  it('names the worker of specific routing, and finds it by name on the master the file goes to', () => {
    const pinned = task('tsk_4', 'grp_a', { name: 'pinned', handler: 'noop', trigger: { type: 'api' }, routing: { strategy: 'specific', workerId: 'wrk_1' } });
    const withWorker: StoredDefinitions = { ...stored, tasks: [...stored.tasks, pinned], workers: [{ id: 'wrk_1', name: 'host-1', groupId: 'grp_a' }] };
    const file = fileOf(withWorker);
    expect(file.tasks[1]!.routing).toEqual({ strategy: 'specific', labels: {}, worker: 'host-1' });
    expect(formatDefinitions(file)).not.toMatch(/wrk_|workerId/);
    expect(plan(file, withWorker).ok && (plan(file, withWorker) as { plan: { changes: boolean } }).plan.changes).toBe(false);

    const elsewhere = { groups: stored.groups, tasks: [], workers: [{ id: 'wrk_9', name: 'host-1', groupId: 'grp_a' }] };
    const there = plan(file, elsewhere);
    expect(there.ok && there.writes.tasks.find((w) => w.spec.name === 'pinned')!.workerId).toBe('wrk_9');
    expect(plan(file, { ...elsewhere, workers: [] })).toEqual({ ok: false, problems: [
      { path: 'tasks[1].routing.worker', message: 'no worker "host-1" in group "alpha" on the master (a worker is known once its agent has joined)' },
    ] });
    const unnamed = { ...file, tasks: file.tasks.map((t) => (t.name === 'pinned' ? { ...t, routing: { strategy: 'specific' as const, labels: {} } } : t)) };
    expect(plan(unnamed, elsewhere)).toEqual({ ok: false, problems: [
      { path: 'tasks[1].routing.worker', message: 'the specific strategy needs a worker: name one of the group\'s workers' },
    ] });
  });

  it('gives the same digest to the same plan and another to another', () => {
    const a = plan(fileOf(), empty);
    const b = plan(fileOf(), empty);
    const c = plan(fileOf(), stored);
    expect(a.ok && b.ok && c.ok && [a.plan.digest === b.plan.digest, a.plan.digest === c.plan.digest]).toEqual([true, false]);
  });
});

describe('the JSON Schema', () => {
  it(`is committed at ${SCHEMA_FILE} as the zod schema generates it (npm run schema writes it)`, () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(definitionsJsonSchemaText());
  });

  it('describes the format: version, groups and tasks, unknown fields refused', () => {
    const schema = JSON.parse(definitionsJsonSchemaText());
    expect(schema.properties.format).toEqual({ type: 'string', const: 'baton/v1' });
    expect(schema.required).toEqual(['format', 'exportedAt']);
    expect(schema.properties.tasks.items.additionalProperties).toBe(false);
    expect(schema.properties.tasks.items.required).toEqual(expect.arrayContaining(['name', 'group', 'handler', 'trigger']));
  });
});
