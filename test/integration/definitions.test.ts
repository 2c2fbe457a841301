// Definitions as files between masters (issue 9): export from one master, import into another on its own database,
// export again: the same bytes. A plan changes nothing, each conflict policy does what it says, a stale plan is
// refused, and a corpus of malformed files is refused with the path of each problem and nothing changed, through
// the API and through the real CLI (`baton-master export | import | diff`, spawned as users run it).
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, MASTER_BIN, startTestMaster, tempDir, type TestMaster } from './harness';

let source: TestMaster;
let viaApi: TestMaster;
let viaCli: TestMaster;
let exported = { text: '', stamp: '' };

beforeAll(async () => {
  const start = async () => startTestMaster(await freshDatabase());
  [source, viaApi, viaCli] = await Promise.all([start(), start(), start()]);
  const batch = await source.api.call('groups.create', { name: 'batch', description: 'nightly work' });
  const alpha = await source.api.call('groups.create', { name: 'alpha' });
  await source.api.call('groups.create', { name: 'empty' });
  const ping = await source.api.call('tasks.create', { name: 'ping', groupId: alpha.id, handler: 'noop', trigger: { type: 'api' } });
  const extract = await source.api.call('tasks.create', {
    name: 'extract', groupId: batch.id, description: 'pulls the day', handler: 'shell',
    params: { command: './extract.sh "$BATON_PARAM_REGION"', region: 'eu-west' },
    triggerParams: { region: { type: 'string', maxLength: 32 }, dryRun: { type: 'boolean' } },
    trigger: { type: 'cron', expression: '0 30 2 * * *', timezone: 'Europe/Berlin' },
    misfire: { policy: 'catch_up', thresholdMs: 60_000, maxCatchUp: 3 },
    routing: { strategy: 'consistent_hash', hashKey: 'region', labels: { zone: 'eu', disk: 'ssd' } },
    blocking: { strategy: 'concurrent', maxConcurrent: 2 }, timeoutMs: 600_000,
    retry: { count: 2, backoff: 'exponential', delayMs: 5_000, maxDelayMs: 60_000, reassign: 1 },
    alerts: { on: ['failed', 'timed_out'], email: ['ops@example.com'], webhook: 'https://hooks.example.com/baton' },
    queueTimeoutMs: 120_000, startAt: '2030-01-01T00:00:00.000Z', endAt: null,
  });
  await source.api.call('tasks.create', {
    name: 'report', groupId: batch.id, handler: 'noop', enabled: false,
    trigger: { type: 'parent', parents: [extract.id, ping.id], on: 'success' },
  });
  const out = await source.api.call('definitions.export', {});
  exported = { text: out.text, stamp: out.file.exportedAt };
}, 120_000);
afterAll(async () => { await Promise.all([source, viaApi, viaCli].map((m) => m?.stop())); });

async function snapshot(master: TestMaster): Promise<string> {
  const tables = ['groups', 'tasks', 'runs'];
  return JSON.stringify(await Promise.all(tables.map(async (t) => (await master.db.query(`select * from ${t} order by id`)).rows)));
}

/** The exported file with one edit, as a person would make it. */
function edited(change: (file: { groups: Array<Record<string, unknown>>; tasks: Array<Record<string, any>> }) => void): string {
  const file = JSON.parse(exported.text);
  change(file);
  return `${JSON.stringify(file, null, 2)}\n`;
}

const task = (file: { tasks: Array<Record<string, any>> }, name: string) => file.tasks.find((t) => t.name === name)!;

/** Malformed files, each with the path its first problem must name. */
const corpus: Array<[string, () => string, string, RegExp]> = [
  ['not JSON', () => exported.text.slice(0, 200), '(file)', /not valid JSON/],
  ['another format version', () => edited((f) => { (f as Record<string, unknown>).format = 'baton/v2'; }), 'format', /"baton\/v2" is not a format this master reads/],
  ['a missing field', () => edited((f) => { delete task(f, 'extract').handler; }), 'tasks[1].handler', /is required/],
  ['an unknown handler', () => edited((f) => { task(f, 'ping').handler = 'teleport'; }), 'tasks[0].handler', /"teleport" is not a handler this group's agents offer/],
  ['a 5 MB file', () => `${exported.text.trimEnd().slice(0, -1)}, "padding": "${'x'.repeat(5 * 1024 * 1024)}" }\n`, '(file)', /bytes is more than a definitions file may have/],
  ['a parent cycle', () => edited((f) => { task(f, 'extract').trigger = { type: 'parent', parents: ['report'], on: 'always' }; }), 'tasks[1].trigger.parents', /cycle: batch\/extract → batch\/report → batch\/extract/],
  ['duplicate names', () => edited((f) => { f.tasks.push({ ...task(f, 'ping') }); }), 'tasks[3].name', /task "ping" of group "alpha" is also tasks\[0\]/],
  ['a dangling parent', () => edited((f) => { task(f, 'report').trigger.parents = ['extract', 'vanished']; }), 'tasks[2].trigger.parents[1]', /no task "vanished" in group "batch" in the file or on the master/],
];

describe('through the API', () => {
  it('a plan is a dry run: it says what would happen and changes nothing', async () => {
    const before = await snapshot(viaApi);
    const plan = await viaApi.api.call('definitions.plan', { text: exported.text });
    expect(plan.items.map((i) => `${i.action} ${i.kind} ${i.name}`)).toEqual([
      'create group alpha', 'create group batch', 'create group empty', 'create task ping', 'create task extract', 'create task report',
    ]);
    expect(await snapshot(viaApi)).toBe(before);
  });

  it('export → import into another master → export again gives the same bytes', async () => {
    const plan = await viaApi.api.call('definitions.apply', { text: exported.text });
    expect(plan.changes).toBe(true);
    const again = await viaApi.api.call('definitions.export', { exportedAt: exported.stamp });
    expect(again.text).toBe(exported.text);
    // Parent links point at the second master's own tasks.
    const tasks = await viaApi.api.call('tasks.list', {});
    const byName = new Map(tasks.map((t) => [t.name, t.id]));
    expect(tasks.find((t) => t.name === 'report')!.trigger).toEqual({ type: 'parent', parents: [byName.get('extract'), byName.get('ping')], on: 'success', join: 'all_succeeded' });
    const second = await viaApi.api.call('definitions.plan', { text: exported.text });
    expect([second.changes, second.items.every((i) => i.action === 'unchanged')]).toEqual([false, true]);
  });

  it('each conflict policy: skip keeps the master\'s, rename imports a copy, overwrite replaces in place', async () => {
    const text = edited((f) => { task(f, 'extract').timeoutMs = 9_000; f.groups[1]!.description = 'changed'; });
    const before = await snapshot(viaApi);
    const skipped = await viaApi.api.call('definitions.apply', { text, onConflict: 'skip' });
    expect(skipped.items.filter((i) => i.action !== 'unchanged').map((i) => `${i.action} ${i.name} ${i.changes.join(',')}`))
      .toEqual(['conflict batch description', 'conflict extract timeoutMs']);
    expect(await snapshot(viaApi)).toBe(before);

    const renamed = await viaApi.api.call('definitions.apply', { text, onConflict: 'rename' });
    expect(renamed.items.filter((i) => i.action === 'create').map((i) => `${i.kind} ${i.group ?? ''}/${i.name}`))
      .toEqual(['group /batch-2', 'task batch-2/extract', 'task batch-2/report']);
    const copy = await viaApi.api.call('definitions.export', { groups: ['batch-2'] });
    expect(copy.file.tasks.map((t) => [t.name, t.timeoutMs])).toEqual([['extract', 9_000], ['report', 0]]);
    expect(copy.file.tasks[1]!.trigger).toEqual({ type: 'parent', parents: ['extract', { group: 'alpha', task: 'ping' }], on: 'success', join: 'all_succeeded' });

    const [original] = (await viaApi.db.query<{ id: string }>(`select t.id from tasks t join groups g on g.id = t.group_id where g.name = 'batch' and t.name = 'extract'`)).rows;
    const overwritten = await viaApi.api.call('definitions.apply', { text, onConflict: 'overwrite' });
    expect(overwritten.items.filter((i) => i.action === 'update').map((i) => i.name)).toEqual(['batch', 'extract']);
    const now = await viaApi.api.call('tasks.get', { id: original!.id });
    expect([now.timeoutMs, (await viaApi.api.call('groups.list', {})).find((g) => g.name === 'batch')!.description]).toEqual([9_000, 'changed']);
  });

  it('refuses to apply a plan the master no longer makes, changing nothing', async () => {
    const text = edited((f) => { task(f, 'ping').description = 'from the file'; });
    const plan = await viaApi.api.call('definitions.plan', { text, onConflict: 'overwrite' });
    // Meanwhile someone edits a task the plan left unchanged: applying now would undo that edit unseen.
    const [report] = (await viaApi.db.query<{ id: string }>(`select t.id from tasks t join groups g on g.id = t.group_id where g.name = 'batch' and t.name = 'report'`)).rows;
    await viaApi.api.call('tasks.update', { id: report!.id, patch: { timeoutMs: 1_234 } });
    const before = await snapshot(viaApi);
    const reply = await viaApi.handle('definitions.apply', { text, onConflict: 'overwrite', digest: plan.digest });
    expect(reply).toMatchObject({ ok: false, error: { code: 'conflict', field: 'digest' } });
    expect(await snapshot(viaApi)).toBe(before);
  });

  it.each(corpus)('refuses %s with its path and changes nothing', async (_what, text, at, message) => {
    const before = await snapshot(viaApi);
    for (const method of ['definitions.plan', 'definitions.apply']) {
      const reply = await viaApi.handle(method, { text: text(), onConflict: 'overwrite' });
      expect(reply.ok).toBe(false);
      const error = (reply as { error: { code: string; field: string; data: { problems: Array<{ path: string; message: string }> } } }).error;
      expect([error.code, error.field, error.data.problems[0]!.path]).toEqual(['invalid_input', at, at]);
      expect(error.data.problems[0]!.message).toMatch(message);
    }
    expect(await snapshot(viaApi)).toBe(before);
  });
});

interface CliResult { code: number | null; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [MASTER_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('through the CLI', () => {
  let dir = '';
  let keys = { source: '', target: '', readOnly: '' };
  const at = (m: TestMaster) => ['--url', m.agentUrl];

  beforeAll(async () => {
    dir = await tempDir('baton-definitions-');
    const key = async (m: TestMaster, scope: 'read' | 'admin') => (await m.api.call('tokens.create', { label: `cli ${scope}`, scope })).secret;
    keys = { source: await key(source, 'admin'), target: await key(viaCli, 'admin'), readOnly: await key(viaCli, 'read') };
  });

  it('export writes the canonical file, and leaves it as it is when nothing changed', async () => {
    const file = path.join(dir, 'defs.json');
    const first = await cli(['export', ...at(source), '--out', file], { BATON_API_KEY: keys.source });
    expect(first.code, first.stderr).toBe(0);
    const written = await fs.readFile(file, 'utf8');
    expect(written.replace(/"exportedAt": "[^"]+"/, '')).toBe(exported.text.replace(/"exportedAt": "[^"]+"/, ''));
    const again = await cli(['export', ...at(source), '--out', file], { BATON_API_KEY: keys.source });
    expect(again.code, again.stderr).toBe(0);
    expect(await fs.readFile(file, 'utf8')).toBe(written);
    const some = await cli(['export', ...at(source), '--group', 'alpha', '--task', 'report'], { BATON_API_KEY: keys.source });
    expect(JSON.parse(some.stdout).tasks.map((t: { name: string }) => t.name)).toEqual(['ping', 'report']);
    const unknown = await cli(['export', ...at(source), '--group', 'nope'], { BATON_API_KEY: keys.source });
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('groups.0: no group named "nope" on this master')]);
  });

  it('diff --exit-code, import --dry-run, import, diff again: 3, nothing changed, done, 0', async () => {
    const file = path.join(dir, 'defs.json');
    const env = { BATON_API_KEY: keys.target };
    const diff = await cli(['diff', file, '--exit-code', ...at(viaCli)], env);
    expect([diff.code, diff.stdout]).toEqual([3, expect.stringContaining('create    task batch/report')]);
    const before = await snapshot(viaCli);
    const dry = await cli(['import', file, '--dry-run', ...at(viaCli)], env);
    expect([dry.code, dry.stdout]).toEqual([0, expect.stringContaining('dry run: nothing was changed')]);
    expect(await snapshot(viaCli)).toBe(before);
    const imported = await cli(['import', file, '--on-conflict', 'overwrite', ...at(viaCli)], env);
    expect([imported.code, imported.stdout]).toEqual([0, expect.stringContaining('imported: 6 to create')]);
    const after = await cli(['diff', file, '--exit-code', ...at(viaCli)], env);
    expect([after.code, after.stdout]).toEqual([0, expect.stringContaining('0 to create, 0 to update, 6 unchanged')]);
    const back = await cli(['export', ...at(viaCli)], env);
    expect(back.stdout.replace(/"exportedAt": "[^"]+"/, '')).toBe(exported.text.replace(/"exportedAt": "[^"]+"/, ''));
  });

  it.each(corpus)('import refuses %s: exit 2, the path on stderr, nothing changed', async (_what, text, where, message) => {
    const file = path.join(dir, 'bad.json');
    await fs.writeFile(file, text());
    const before = await snapshot(viaCli);
    const result = await cli(['import', file, '--on-conflict', 'overwrite', ...at(viaCli)], { BATON_API_KEY: keys.target });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    if (where !== '(file)') expect(result.stderr).toContain(`${where}: `);
    expect(await snapshot(viaCli)).toBe(before);
  });

  it('a master it cannot reach or that refuses the key: exit 1; a CA file it cannot read: exit 2; nothing changed', async () => {
    const file = path.join(dir, 'defs.json');
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const unreachable = await cli(['diff', file, '--url', `http://127.0.0.1:${closed}`], { BATON_API_KEY: keys.target });
    expect([unreachable.code, unreachable.stderr]).toEqual([1, expect.stringContaining('cannot reach the master')]);
    const noCa = await cli(['diff', file, '--url', `https://127.0.0.1:${closed}`, '--ca', path.join(dir, 'missing.pem')], { BATON_API_KEY: keys.target });
    expect([noCa.code, noCa.stderr]).toEqual([2, expect.stringMatching(/--ca="[^"]*missing\.pem": cannot read it \(ENOENT\)/)]);
    const extra = path.join(dir, 'extra.json');
    await fs.writeFile(extra, edited((f) => { f.groups.push({ name: 'extra' }); }));
    const before = await snapshot(viaCli);
    const readOnly = await cli(['import', extra, ...at(viaCli)], { BATON_API_KEY: keys.readOnly });
    expect([readOnly.code, readOnly.stderr]).toEqual([1, expect.stringMatching(/admin/)]);
    const wrongKey = await cli(['import', extra, ...at(viaCli)], { BATON_API_KEY: 'bt_tok_nope.nope' });
    expect(wrongKey.code).toBe(1);
    expect(await snapshot(viaCli)).toBe(before);
  });
});
