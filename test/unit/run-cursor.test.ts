// Issue 8: the runs list's cursor is a position (creation µs, run id) that round-trips exactly and refuses anything
// a page did not make; the list's input refuses bad ranges and oversized search text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRunCursor, encodeRunCursor, RunPageInput } from '../../src-main/master/api/contract/run-query';

const runId = fc.tuple(fc.stringMatching(/^[0-9a-z]{9}$/), fc.stringMatching(/^[0-9a-f]{12}$/)).map(([a, b]) => `run_${a}${b}`);

describe('run cursor', () => {
  it('round-trips every position exactly, microseconds beyond 2^53 included', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 99_999_999_999_999_999n }), runId, (micros, id) => {
      const position = { createdMicros: micros.toString(), id };
      expect(decodeRunCursor(encodeRunCursor(position))).toEqual(position);
    }));
    expect(decodeRunCursor('9007199254740993.run_0mwxrg75ra1b2c3d4e5f6')?.createdMicros).toBe('9007199254740993');
  });

  it('refuses what no page made', () => {
    for (const forged of ['', 'abc', '1.run_x', '-1.run_0mwxrg75ra1b2c3d4e5f6', '1.5.run_0mwxrg75ra1b2c3d4e5f6',
      '1.run_0mwxrg75ra1b2c3d4e5f6 ', '1.run_0mwxrg75rA1B2C3D4E5F6', `${'9'.repeat(18)}.run_0mwxrg75ra1b2c3d4e5f6`, '1.tsk_0mwxrg75ra1b2c3d4e5f6']) {
      expect(decodeRunCursor(forged)).toBeNull();
    }
    fc.assert(fc.property(fc.string(), (junk) => {
      const decoded = decodeRunCursor(junk);
      // Anything that decodes is exactly what encoding its position gives back.
      if (decoded) expect(encodeRunCursor(decoded)).toBe(junk);
    }));
    expect(() => encodeRunCursor({ createdMicros: '1e5', id: 'run_0mwxrg75ra1b2c3d4e5f6' })).toThrow(/Bug/);
  });
});

describe('runs.page input', () => {
  const field = (input: unknown) => {
    const parsed = RunPageInput.safeParse(input);
    return parsed.success ? null : parsed.error.issues.map((i) => i.path.join('.'));
  };
  it('takes every filter and defaults the page size', () => {
    expect(RunPageInput.parse({}).limit).toBe(50);
    expect(field({ taskId: 't', groupId: 'g', workerId: 'w', state: ['failed'], trigger: ['api'], from: '2026-01-01T00:00:00Z',
      to: '2026-01-01T00:00:00Z', text: 'boom', limit: 200, cursor: '1.run_0mwxrg75ra1b2c3d4e5f6' })).toBeNull();
  });
  it('refuses a range that ends before it starts, oversized text, a page too big, and unknown fields', () => {
    expect(field({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toEqual(['to']);
    expect(field({ text: 'x'.repeat(10_240) })).toEqual(['text']);
    expect(field({ limit: 201 })).toEqual(['limit']);
    expect(field({ state: [] })).toEqual(['state']);
    expect(field({ order: 'asc' })).toEqual(['']);
  });
});
