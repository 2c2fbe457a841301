// U+0000 at the boundaries (found by a tester: a NUL in a run's output left the run `running` for good, and one in
// an API input answered `internal`): the API names where it is; agent output keeps its place as U+FFFD.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nulPath } from '../../src-main/master/api/stored-text';
import { AgentHello, RunLog, RunResult } from '../../worker-agent/src/protocol';

describe('nulPath', () => {
  it('names the first value or key holding U+0000', () => {
    expect(nulPath({ name: 'a\u0000b' })).toBe('name');
    expect(nulPath({ tasks: [{ params: { command: 'echo' } }, { params: { env: { ['K\u0000']: 'v' } } }] })).toBe('tasks.1.params.env.K\u0000');
    expect(nulPath('\u0000')).toBe('');
    expect(nulPath({ ok: 'text', n: 1, list: [true, null] })).toBeNull();
  });

  it('finds a NUL put anywhere in any JSON value, and nothing in one without', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.nat(), (value, pick) => {
      const clean = JSON.parse(JSON.stringify(value).replaceAll('\\u0000', '')) as unknown;
      expect(nulPath(clean)).toBeNull();
      const strings: string[] = [];
      JSON.stringify(clean, (_k, v: unknown) => (typeof v === 'string' && strings.push(v), v));
      if (strings.length === 0) return;
      const target = strings[pick % strings.length]!;
      const dirty = JSON.parse(JSON.stringify(clean, (_k, v: unknown) => (v === target ? `${v}\u0000` : v))) as unknown;
      expect(nulPath(dirty)).not.toBeNull();
    }), { numRuns: 500 });
  });
});

describe('agent messages with U+0000', () => {
  it('keeps binary output and log lines, with U+FFFD in place of NUL', () => {
    const result = RunResult.parse({ runId: 'run_1', attempt: 1, state: 'succeeded', exitCode: 0, output: 'a\u0000b', error: 'e\u0000', startedAt: 1, finishedAt: 2 });
    expect(result.output).toBe('a\uFFFDb');
    expect(result.error).toBe('e\uFFFD');
    expect(RunLog.parse({ runId: 'run_1', attempt: 1, seq: 0, stream: 'stdout', lines: ['x\u0000y'] }).lines).toEqual(['x\uFFFDy']);
  });

  it('refuses identifiers holding U+0000, naming the field', () => {
    const hello = { protocol: 1, token: 'x'.repeat(20), name: 'a\u0000', group: 'g', host: 'h', version: '1', handlers: ['shell'], capacity: 1 };
    const parsed = AgentHello.safeParse(hello);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['name'], message: expect.stringContaining('NUL') });
  });
});
