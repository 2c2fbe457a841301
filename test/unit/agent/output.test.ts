// Log lines as the agent cuts them (found by a tester: a 40,000-character line came out as two lines with about
// 20,000 characters silently gone between them, and the master cut off the agent's '…' as it counts bytes).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capLine, CUT_MARK, LINE_LIMIT, lineSplitter } from '../../../worker-agent/src/executors/output';

function split(chunks: string[]): string[] {
  const lines: string[] = [];
  const splitter = lineSplitter({ log: (_stream, line) => lines.push(line) }, 'stdout');
  for (const chunk of chunks) splitter.write(chunk);
  splitter.end();
  return lines;
}

describe('log lines', () => {
  it('a line over the limit is logged once, cut and marked, and the lines after it follow', () => {
    const lines = split(['before\n', 'x'.repeat(20_000), 'x'.repeat(20_000), '\nafter\n']);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('before');
    expect(lines[1]!.endsWith(CUT_MARK)).toBe(true);
    expect(Buffer.byteLength(lines[1]!)).toBeLessThanOrEqual(LINE_LIMIT);
    expect(lines[2]).toBe('after');
  });

  it('cuts in bytes, never inside a character, with the mark kept whole', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', minLength: LINE_LIMIT / 4, maxLength: LINE_LIMIT * 2 }), (text) => {
      const line = capLine(text);
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(LINE_LIMIT);
      if (Buffer.byteLength(text) <= LINE_LIMIT) expect(line).toBe(text);
      else expect(line.endsWith(CUT_MARK)).toBe(true);
    }), { numRuns: 200 });
  });

  it('splits one write of several lines, CRLF included, and ends a last line without newline', () => {
    expect(split(['alpha\nbeta\r\ngam', 'ma\nlast'])).toEqual(['alpha', 'beta', 'gamma', 'last']);
  });
});
