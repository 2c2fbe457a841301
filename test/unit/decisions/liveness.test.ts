import { describe, expect, it } from 'vitest';
import { deadlineFor, isDead } from '../../../src-main/master/agents/liveness';

const s = { heartbeatMs: 5_000, missedBeats: 3 };

describe('liveness', () => {
  it.each([
    ['just heartbeated', 1_000, 1_000, false],
    ['missed two beats', 1_000, 11_000, false],
    ['exactly at the deadline', 1_000, 16_000, false],
    ['1 ms past the deadline', 1_000, 16_001, true],
    ['long gone', 1_000, 1_000_000, true],
    ['heartbeat stamped ahead of our clock (skew)', 10_000, 9_000, false],
  ])('%s → dead=%s', (_name, last, now, dead) => {
    expect(isDead(last, now, s)).toBe(dead);
  });

  it('deadline = last + heartbeatMs × missedBeats', () => {
    expect(deadlineFor(1_000, s)).toBe(16_000);
    expect(deadlineFor(1_000, { heartbeatMs: 2_000, missedBeats: 1 })).toBe(3_000);
  });
});
