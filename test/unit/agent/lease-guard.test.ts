// The lease as the reaper enforces it: the pipe protocol, its parsing (unknown input never throws), line
// splitting with a bound, and the decision (deadline from receipt, newest message wins, idle disarms).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyGuardMessage, encodeGuardMessage, guardDue, LineReader, MAX_FENCE_MS, MAX_LINE_CHARS, parseGuardLine,
} from '../../../worker-agent/src/processes/lease-guard';

describe('reaper lease guard: decision', () => {
  it('a fence message arms a deadline that many ms after receipt, on the reaper\'s own clock', () => {
    const deadline = applyGuardMessage({ type: 'fence', inMs: 2_500 }, 10_000);
    expect(deadline).toBe(12_500);
    expect(guardDue(deadline, 12_499)).toBe(false);
    expect(guardDue(deadline, 12_500)).toBe(true);
  });

  it('idle disarms: nothing is ever due without runs', () => {
    expect(applyGuardMessage({ type: 'idle' }, 10_000)).toBeNull();
    expect(guardDue(null, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('a renewal replaces the deadline; 0 ms (already due when sent) fences at once', () => {
    let deadline = applyGuardMessage({ type: 'fence', inMs: 2_500 }, 0);
    deadline = applyGuardMessage({ type: 'fence', inMs: 2_500 }, 2_000);
    expect(guardDue(deadline, 3_000)).toBe(false);
    expect(guardDue(deadline, 4_500)).toBe(true);
    expect(guardDue(applyGuardMessage({ type: 'fence', inMs: 0 }, 7_000), 7_000)).toBe(true);
  });
});

describe('reaper lease guard: protocol', () => {
  it('round-trips its own messages', () => {
    for (const m of [{ type: 'fence', inMs: 1_234 }, { type: 'idle' }] as const) {
      const line = encodeGuardMessage(m);
      expect(line.endsWith('\n')).toBe(true);
      expect(parseGuardLine(line.trimEnd())).toEqual(m);
    }
  });

  it.each([
    ['empty', ''],
    ['not JSON', 'fence 100'],
    ['JSON of another shape', '{"type":"kill"}'],
    ['negative duration', '{"type":"fence","inMs":-1}'],
    ['fractional duration', '{"type":"fence","inMs":1.5}'],
    ['duration as text', '{"type":"fence","inMs":"100"}'],
    ['null', 'null'],
    ['an array', '[{"type":"idle"}]'],
    ['a fence longer than a day', `{"type":"fence","inMs":${MAX_FENCE_MS + 1}}`],
    ['a fence without duration', '{"type":"fence"}'],
    ['too long', `{"type":"idle","pad":"${'x'.repeat(MAX_LINE_CHARS)}"}`],
  ])('ignores %s', (_name, line) => {
    expect(parseGuardLine(line)).toBeNull();
  });
});

describe('reaper lease guard: lines', () => {
  it('joins chunks split anywhere and returns whole lines only', () => {
    const reader = new LineReader();
    expect(reader.push('{"type":"fe')).toEqual([]);
    expect(reader.push('nce","inMs":5}\n{"type":"idle"}\n{"ty')).toEqual(['{"type":"fence","inMs":5}', '{"type":"idle"}']);
    expect(reader.push('pe":"idle"}\n')).toEqual(['{"type":"idle"}']);
  });

  it('drops a line without end that outgrows the limit, and reads the next one', () => {
    const reader = new LineReader();
    for (let i = 0; i < 10; i++) expect(reader.push('x'.repeat(MAX_LINE_CHARS))).toEqual([]);
    expect(reader.push('still garbage\n{"type":"idle"}\n')).toEqual(['{"type":"idle"}']);
  });
});

describe('reaper lease guard: footprint', () => {
  it('keeps only the message of a line, whatever else it carries', () => {
    expect(parseGuardLine('{"type":"fence","inMs":5,"extra":1}')).toEqual({ type: 'fence', inMs: 5 });
    expect(parseGuardLine('{"type":"idle","inMs":5}')).toEqual({ type: 'idle' });
    expect(parseGuardLine(`{"type":"fence","inMs":${MAX_FENCE_MS}}`)).toEqual({ type: 'fence', inMs: MAX_FENCE_MS });
  });

  // Every agent host runs one reaper beside each agent: zod in its module graph cost 13 MB of RSS (issue 11).
  it('the reaper imports no package, only its own modules and node: built-ins', () => {
    const seen = new Set<string>();
    const packages: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^import\s+(?!type\s)[^'"]*['"]([^'"]+)['"]/gm)) {
        if (spec!.startsWith('.')) visit(resolve(dirname(file), spec!.replace(/\.js$/, '.ts')));
        else if (!spec!.startsWith('node:')) packages.push(`${file}: ${spec}`);
      }
    };
    visit(resolve('worker-agent/src/processes/reaper.ts'));
    expect(seen.size).toBeGreaterThan(3);
    expect(packages).toEqual([]);
  });
});
