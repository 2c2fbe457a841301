// The run lease from both ends: when the agent must fence, when the master may declare the runs lost, and
// that the first always comes before the second (so a run never lives in two places).
import { describe, expect, it } from 'vitest';
import { isDead, leaseMs } from '../../../src-main/master/agents/liveness';
import { fenceAfterMs, LeaseClock, mustFence } from '../../../worker-agent/src/lease';

const defaults = { heartbeatMs: 1_000, missedBeats: 3 };

describe('agent fencing', () => {
  it.each([
    ['just confirmed', 10_000, 10_000, false],
    ['one beat unconfirmed', 10_000, 11_500, false],
    ['1 ms before two thirds of the lease', 10_000, 11_999, false],
    ['two thirds of the lease without a confirmed renewal', 10_000, 12_000, true],
    ['long cut', 10_000, 70_000, true],
  ])('%s → fence=%s', (_name, confirmedSentAt, now, fence) => {
    expect(mustFence(confirmedSentAt, now, 3_000)).toBe(fence);
  });

  it('fences after two thirds of the lease', () => {
    expect(fenceAfterMs(3_000)).toBe(2_000);
    expect(fenceAfterMs(leaseMs({ heartbeatMs: 5_000, missedBeats: 3 }))).toBe(10_000);
  });

  it('counts from the newest confirmed send; a late ack of an older beat does not move it back', () => {
    const clock = new LeaseClock(0);
    clock.confirmed(2_000);
    clock.confirmed(1_000);
    expect(clock.confirmedSentAt).toBe(2_000);
    expect(mustFence(clock.confirmedSentAt, 3_999, 3_000)).toBe(false);
    expect(mustFence(clock.confirmedSentAt, 4_000, 3_000)).toBe(true);
  });
});

describe('lease: the agent has fenced before the master may reassign', () => {
  // For a beat sent at `sent` and received `delay` later (the ack may come back at any time or never), the
  // master's lease ends at receipt + lease; the agent fences at sent + 2/3 lease at the latest.
  it.each([0, 1, 50, 500, 999, 2_000])('one-way delay %i ms', (delay) => {
    const lease = leaseMs(defaults);
    const sent = 100_000;
    const received = sent + delay;
    const agentStopsBy = sent + fenceAfterMs(lease);
    expect(mustFence(sent, agentStopsBy, lease)).toBe(true);
    expect(isDead(received, agentStopsBy, defaults)).toBe(false);
    // A third of the lease remains for the kill to land before the master may start the run elsewhere.
    const firstLostAt = received + lease + 1;
    expect(isDead(received, firstLostAt, defaults)).toBe(true);
    expect(firstLostAt - agentStopsBy).toBeGreaterThan(lease / 3);
  });
});
