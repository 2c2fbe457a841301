// The run lease from both ends: when the agent must fence, when the master may declare the runs lost, and
// that the first always comes before the second (so a run never lives in two places).
import { describe, expect, it } from 'vitest';
import { isDead, leaseMs } from '../../../src-main/master/agents/liveness';
import { fenceAfterMs, fencedIfLapsed, LeaseClock, mustFence, reaperFenceInMs } from '../../../worker-agent/src/lease';
import type { RunResult } from '../../../worker-agent/src/protocol';

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

describe('the reaper\'s deadline', () => {
  it('falls between the agent\'s own fencing and the end of the lease on the master', () => {
    const lease = leaseMs(defaults);
    // Sent right at the renewal: 2.5 s, after the agent's 2 s and before the master's 3 s.
    expect(reaperFenceInMs(10_000, 10_000, lease)).toBe(2_500);
    expect(reaperFenceInMs(10_000, 10_000, lease)).toBeGreaterThan(fenceAfterMs(lease));
    expect(reaperFenceInMs(10_000, 10_000, lease)).toBeLessThan(lease);
  });

  it('sends what is left, so a message sent late (or sitting in the pipe) never moves the kill later', () => {
    expect(reaperFenceInMs(10_000, 11_000, 3_000)).toBe(1_500);
    expect(reaperFenceInMs(10_000, 12_500, 3_000)).toBe(0);
    expect(reaperFenceInMs(10_000, 60_000, 3_000)).toBe(0);
  });
});

describe('a run that ended while the lease was over', () => {
  const result = (over: Partial<RunResult>): RunResult => ({
    runId: 'r1', attempt: 1, state: 'failed', exitCode: null, output: '', error: 'killed by SIGKILL',
    startedAt: 1, finishedAt: 2, fenced: false, ...over,
  });

  it('killed (no exit code) with the lease over: fenced, so the master counts it lost', () => {
    expect(fencedIfLapsed(result({}), true)).toMatchObject({ state: 'failed', fenced: true, error: expect.stringMatching(/fencing/) });
  });

  it.each([
    ['lease not over', result({}), false],
    ['already fenced by the agent', result({ fenced: true, error: 'stopped by the agent (fencing)' }), true],
    ['exited by itself with a code', result({ exitCode: 1, error: 'exit code 1' }), true],
    ['succeeded', result({ state: 'succeeded', exitCode: 0, error: null }), true],
    ['timed out', result({ state: 'timed_out' }), true],
  ])('%s: reported as it ended', (_name, r, lapsed) => {
    expect(fencedIfLapsed(r, lapsed)).toBe(r);
  });
});
