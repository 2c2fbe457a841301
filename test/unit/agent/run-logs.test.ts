// Log lines kept while the master is unreachable: in order, until acknowledged, bounded with a marker.
import { describe, expect, it } from 'vitest';
import type { RunLog } from '../../../worker-agent/src/protocol';
import { PendingLogs } from '../../../worker-agent/src/run-logs';

const batch = (seq: number, lines: string[], runId = 'run_1'): RunLog => ({ runId, attempt: 1, seq, stream: 'stdout', lines });

describe('PendingLogs', () => {
  it('keeps batches per run, oldest first, until each is removed', () => {
    const logs = new PendingLogs();
    const [a, b, c] = [batch(0, ['a']), batch(1, ['b']), batch(0, ['x'], 'run_2')];
    for (const x of [a, b, c]) logs.add(x);
    expect(logs.of('run_1')).toEqual([a, b]);
    expect(logs.of()).toEqual([a, b, c]);
    logs.remove(a);
    expect(logs.of('run_1')).toEqual([b]);
    logs.remove(a); // twice: nothing more happens
    logs.remove(b);
    expect(logs.of('run_1')).toEqual([]);
    expect(logs.of()).toEqual([c]);
  });

  it('past the byte limit drops the oldest lines of that run and says how many in one marker', () => {
    const logs = new PendingLogs(100);
    for (let seq = 0; seq < 10; seq++) logs.add(batch(seq, ['x'.repeat(29)])); // 30 bytes each
    const kept = logs.of('run_1');
    expect(kept[0]).toMatchObject({ stream: 'system', seq: 6, lines: [expect.stringMatching(/^\[baton\] 7 log lines dropped/)] });
    expect(kept.slice(1).map((b) => b.seq)).toEqual([7, 8, 9]);
    logs.remove(kept[0]!);
    expect(logs.of('run_1').map((b) => b.seq)).toEqual([7, 8, 9]);
  });

  it('never drops the newest batch, even when it alone is over the limit', () => {
    const logs = new PendingLogs(10);
    logs.add(batch(0, ['y'.repeat(50)]));
    expect(logs.of('run_1').map((b) => b.seq)).toEqual([0]);
  });

  it('forgets a run whose result was refused for good', () => {
    const logs = new PendingLogs();
    logs.add(batch(0, ['a']));
    logs.forget('run_1');
    expect(logs.of()).toEqual([]);
  });
});
