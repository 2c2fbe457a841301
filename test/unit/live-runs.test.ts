// The leader's index of unended runs: a run whose end the agent reported holds no slot of its task (the next serial
// run may start) but stays on its worker until its end is stored (a lost worker still accounts for it).
import { describe, expect, it } from 'vitest';
import type { NewRun } from '../../src-main/master/db/runs';
import { fromNew, LiveRuns } from '../../src-main/master/dispatch/live-runs';

const run = (id: string, state: NewRun['state'], workerId: string | null, plannedAt = 1_000): NewRun => ({
  id, taskId: 'task', rootRunId: id, attempt: 1, trigger: 'schedule', parentRunId: null, shardIndex: 0, shardTotal: 1,
  traceId: 't', state, workerId, workerName: workerId, params: null, plannedAt, reason: null,
});

describe('LiveRuns', () => {
  it('a reported run leaves its task\'s slots but stays on its worker until it is deleted', () => {
    const live = new LiveRuns();
    const a = fromNew(run('a', 'assigned', 'w1'));
    const b = fromNew(run('b', 'queued', null, 2_000));
    live.add(a);
    live.add(b);
    expect([live.holderCount('task'), live.waiting('task').map((r) => r.id)]).toEqual([1, ['b']]);
    live.markReported(a);
    expect(live.holderCount('task')).toBe(0);
    expect(live.holders('task')).toEqual([]);
    expect(live.ofWorker('w1').map((r) => r.id)).toEqual(['a']);
    expect(live.get('a')?.reported).toBe(true);
    live.move(b, 'assigned', 'w2');
    expect(live.holders('task').map((r) => r.id)).toEqual(['b']);
    live.delete('a');
    expect([live.ofWorker('w1'), live.size]).toEqual([[], 1]);
  });

  it('a reported run that moves (its held running mark) still holds no slot', () => {
    const live = new LiveRuns();
    const a = fromNew(run('a', 'assigned', 'w1'));
    live.add(a);
    live.markReported(a);
    live.move(a, 'running');
    expect([live.holderCount('task'), live.ofWorker('w1').length]).toEqual([0, 1]);
  });

  it('a withdrawn run (its stop being written) leaves the queue, stays out when it moves, and comes back in order', () => {
    const live = new LiveRuns();
    const [a, b, c] = [1_000, 2_000, 3_000].map((at, i) => fromNew(run(`r${i}`, 'queued', null, at)));
    for (const r of [a!, b!, c!]) live.add(r);
    live.withdraw(b!);
    expect(live.waiting('task').map((r) => r.id)).toEqual(['r0', 'r2']);
    live.move(b!, 'queued');
    expect(live.waiting('task').map((r) => r.id)).toEqual(['r0', 'r2']);
    expect(live.get('r1')).toBe(b);
    live.withdraw(b!, false);
    expect(live.waiting('task').map((r) => r.id)).toEqual(['r0', 'r1', 'r2']);
    live.withdraw(a!);
    live.delete('r0');
    expect([live.waiting('task').map((r) => r.id), live.size]).toEqual([['r1', 'r2'], 2]);
  });
});
