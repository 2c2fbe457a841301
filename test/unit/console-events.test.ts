// Issue 8: console log ordering (each batch once, in seq order, however it arrived) and the database notices
// that console events are made from (merged per burst; bad payloads refused; overflow asks for a full read).
import { describe, expect, it } from 'vitest';
import type { RunLogLine } from '../../src-main/master/api/contract/domain';
import { ConsoleEvent, EventTopic, topicOf } from '../../src-main/master/api/contract/events';
import { addNotice, emptyChanges, isEmpty } from '../../src-main/master/events/notices';
import { lastSeq, mergeLog } from '../../src-renderer/src/lib/run-log';

const at = '2026-01-01T00:00:00.000Z';
const batch = (seq: number, ...lines: string[]): RunLogLine[] => lines.map((line) => ({ seq, stream: 'stdout', line, at }));
const text = (lines: RunLogLine[]) => lines.map((l) => `${l.seq}:${l.line}`);

describe('mergeLog', () => {
  it('keeps several lines of one batch (same seq) in their order: printf "alpha\\nbeta\\ngamma\\n"', () => {
    expect(text(mergeLog([], batch(0, 'alpha', 'beta', 'gamma')))).toEqual(['0:alpha', '0:beta', '0:gamma']);
  });

  it('appends newer batches and drops a batch it already has (a pushed event and a read overlapping)', () => {
    const read = mergeLog([], [...batch(0, 'a', 'b'), ...batch(1, 'c')]);
    const pushed = mergeLog(read, batch(1, 'c'));
    expect(pushed).toBe(read);
    expect(text(mergeLog(pushed, batch(2, 'd', 'e')))).toEqual(['0:a', '0:b', '1:c', '2:d', '2:e']);
  });

  it('puts a batch that arrives late (an event before the first read finished) in seq order', () => {
    const early = mergeLog([], batch(5, 'five', 'five again'));
    const merged = mergeLog(early, [...batch(3, 'three'), ...batch(4, 'four'), ...batch(5, 'five', 'five again'), ...batch(6, 'six')]);
    expect(text(merged)).toEqual(['3:three', '4:four', '5:five', '5:five again', '6:six']);
    expect(lastSeq(merged)).toBe(6);
    expect(lastSeq([])).toBe(-1);
  });

  it('keeps 10,000 lines in order when pages and events interleave', () => {
    let log: RunLogLine[] = [];
    const batches = Array.from({ length: 1_000 }, (_, seq) => batch(seq, ...Array.from({ length: 10 }, (_, i) => `${seq}.${i}`)));
    // Events for every third batch first, then reads of everything.
    for (const b of batches.filter((_, i) => i % 3 === 0)) log = mergeLog(log, b);
    for (let i = 0; i < batches.length; i += 100) log = mergeLog(log, batches.slice(i, i + 100).flat());
    expect(log).toHaveLength(10_000);
    expect(log.map((l) => l.line)).toEqual(batches.flat().map((l) => l.line));
  });
});

describe('console notices', () => {
  it('merges a burst into one read per kind', () => {
    const c = emptyChanges();
    expect(isEmpty(c)).toBe(true);
    for (const payload of ['{"r":[10,12]}', '{"r":[3,4]}', '{"u":["run_a"]}', '{"l":[["run_a",0],["run_a",1]]}', '{"l":[["run_b",7]]}',
      '{"w":["wrk_1"]}', '{"w-":["wrk_2"]}', '{"t":["tsk_1"]}', '{"t-":["tsk_2"]}', '{"g":["grp_1"]}']) {
      expect(addNotice(c, payload)).toBe(true);
    }
    expect(c.transitions).toEqual([3, 12]);
    expect([...c.runIds]).toEqual(['run_a']);
    expect(Object.fromEntries([...c.logs].map(([id, seqs]) => [id, [...seqs]]))).toEqual({ run_a: [0, 1], run_b: [7] });
    expect([...c.workerIds, ...c.removedWorkerIds, ...c.taskIds, ...c.groupIds]).toEqual(['wrk_1', 'wrk_2', 'tsk_1', 'tsk_2', 'grp_1']);
    expect(c.overflow.size).toBe(0);
  });

  it('turns a notice too big to name its rows into a full read of that kind', () => {
    const c = emptyChanges();
    expect(addNotice(c, '{"w":null}')).toBe(true);
    expect(addNotice(c, '{"l":null}')).toBe(true);
    expect([...c.overflow]).toEqual(['workers', 'logs']);
  });

  it('refuses what is not a notice, and adds nothing', () => {
    const c = emptyChanges();
    for (const bad of ['', 'not json', '{}', '{"r":[1]}', '{"x":["a"]}', '{"w":["a"],"t":["b"]}', '{"l":[["run",1.5]]}', '[1,2]']) {
      expect(addNotice(c, bad)).toBe(false);
    }
    expect(isEmpty(c)).toBe(true);
  });
});

describe('console event contract', () => {
  it('routes each event to its topic; sync goes to everyone', () => {
    const run = ConsoleEvent.parse({ kind: 'run.log', runId: 'run_0lz1x2y3za1b2c3d4e5f6', lines: batch(0, 'x') });
    expect(topicOf(run)).toBe('log:run_0lz1x2y3za1b2c3d4e5f6');
    expect(topicOf({ kind: 'task.changed', id: 'tsk_1' })).toBe('tasks');
    expect(topicOf({ kind: 'sync', reason: 'x' })).toBeNull();
  });

  it('refuses topics that are not topics (a client picks only what exists)', () => {
    expect(EventTopic.safeParse('runs').success).toBe(true);
    expect(EventTopic.safeParse('log:run_0lz1x2y3za1b2c3d4e5f6').success).toBe(true);
    for (const bad of ['log:', 'log:../../etc', 'everything', `log:run_${'a'.repeat(10_000)}`]) expect(EventTopic.safeParse(bad).success).toBe(false);
  });
});
