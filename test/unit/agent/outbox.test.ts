import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from 'baton-agent/protocol';
import { Outbox } from '../../../worker-agent/src/outbox';
import { tempDir } from './helpers';

const result = (runId: string): RunResult => ({
  runId,
  attempt: 1,
  state: 'succeeded',
  exitCode: 0,
  output: `output of ${runId}`,
  error: null,
  startedAt: 1_000,
  finishedAt: 2_000,
});

describe('outbox', () => {
  it('keeps results across a restart, in order, until each is removed', async () => {
    const dir = await tempDir();
    const first = await Outbox.open(dir);
    const a = await first.append(result('a'));
    await first.append(result('b'));
    await first.append(result('c'));
    await first.remove(a);

    const second = await Outbox.open(dir); // the agent restarted
    expect(second.pending().map((e) => e.result)).toEqual([result('b'), result('c')]);
    await second.append(result('d'));
    const third = await Outbox.open(dir);
    expect(third.pending().map((e) => e.result.runId)).toEqual(['b', 'c', 'd']);
  });

  it('writes entries readable only by the agent user', async () => {
    const dir = await tempDir();
    const entry = await (await Outbox.open(dir)).append(result('a'));
    expect((await stat(join(dir, entry.file))).mode & 0o777).toBe(0o600);
  });

  it('drops half-written temp files and sets aside unreadable entries', async () => {
    const dir = await tempDir();
    await (await Outbox.open(dir)).append(result('a'));
    await writeFile(join(dir, '0000000000000002.json.tmp'), '{"runId":');
    await writeFile(join(dir, '0000000000000003.json'), '[{"not":"a result"}]');
    const corrupt: string[] = [];
    const reopened = await Outbox.open(dir, (file) => corrupt.push(file));
    expect(reopened.pending().map((e) => e.result.runId)).toEqual(['a']);
    expect(corrupt).toEqual(['0000000000000003.json']);
    expect((await readdir(dir)).sort()).toEqual(['0000000000000001.json', '0000000000000003.json.corrupt']);
    // New entries still sort after everything seen before.
    expect((await reopened.append(result('b'))).file).toBe('0000000000000004.json');
  });

  it('writes results appended together into one file, removed once every one of them is delivered', async () => {
    const dir = await tempDir();
    const outbox = await Outbox.open(dir);
    const [a, b] = await Promise.all([outbox.append(result('a')), outbox.append(result('b'))]);
    expect(a.file).toBe(b.file);
    expect(await readdir(dir)).toEqual([a.file]);
    await outbox.remove(a);
    expect(await readdir(dir)).toEqual([a.file]);
    expect((await Outbox.open(dir)).pending().map((e) => e.result.runId)).toEqual(['a', 'b']);
    await outbox.remove(b);
    expect(await readdir(dir)).toEqual([]);
  });
});
