// The pure decisions behind "run processes die with their run": which pids of a process table snapshot belong
// to a run, an agent instance, or an earlier instance's leftovers; and the /proc and cgroup parsing edges.
import { describe, expect, it } from 'vitest';
import { instanceMembers, leftoverMembers, runMembers, type Markers, type ProcessEntry } from '../../../worker-agent/src/processes/members';
import { parseMarkers, parseStat } from '../../../worker-agent/src/processes/proc-table';
import { ownCgroupDir } from '../../../worker-agent/src/processes/cgroup';

const AGENT = 100;
const run = (runId: string, attempt = 1, instance = 'i1', home = '/data/a'): Markers => ({ instance, home, runId, attempt: String(attempt) });
const p = (pid: number, ppid: number, pgid: number, markers: Markers = {}): ProcessEntry => ({ pid, ppid, pgid, markers });

// init (1), the agent (100) and an unrelated shell (50) with its child; run r1 started 200 (its group leader):
// 201 stayed in the group, 202 called setsid, 203 was double-forked (orphaned to init, own session), 204 is a
// child of 202 that cleared its environment (`env -i`), 205 is a child of the orphan 203 without markers.
// Run r2 (301) runs next to it; 400 is a leftover of an earlier instance on the same folder, 500 belongs to
// another agent's folder.
const table: ProcessEntry[] = [
  p(1, 0, 1),
  p(50, 1, 50),
  p(51, 50, 50),
  p(AGENT, 1, AGENT),
  p(200, AGENT, 200, run('r1')),
  p(201, 200, 200, run('r1')),
  p(202, 200, 202, run('r1')),
  p(203, 1, 203, run('r1')),
  p(204, 202, 202),
  p(205, 203, 203),
  p(301, AGENT, 301, run('r2')),
  p(400, 1, 400, run('r9', 1, 'i0')),
  p(401, 400, 400),
  p(500, 1, 500, run('r1', 1, 'other', '/data/b')),
];

describe('runMembers', () => {
  it('finds the group, the marked processes that left it, and their descendants without markers', () => {
    expect(runMembers(table, { instance: 'i1', runId: 'r1', attempt: 1, leader: 200 }, AGENT)).toEqual([200, 201, 202, 203, 204, 205]);
  });

  it('finds what is left after the leader exited (the group id outlives it)', () => {
    const after = table.filter((e) => e.pid !== 200);
    expect(runMembers(after, { instance: 'i1', runId: 'r1', attempt: 1, leader: 200 }, AGENT)).toEqual([201, 202, 203, 204, 205]);
  });

  it('never picks another run, another attempt, another instance, the agent or unrelated processes', () => {
    expect(runMembers(table, { instance: 'i1', runId: 'r2', attempt: 1, leader: 301 }, AGENT)).toEqual([301]);
    expect(runMembers(table, { instance: 'i1', runId: 'r1', attempt: 2, leader: -1 }, AGENT)).toEqual([]);
    expect(runMembers(table, { instance: 'nope', runId: 'r1', attempt: 1, leader: -1 }, AGENT)).toEqual([]);
    // Even a process wrongly carrying a run's markers is never the agent itself.
    const marked = [...table, p(AGENT + 1, 1, AGENT + 1, run('r2'))];
    expect(runMembers(marked, { instance: 'i1', runId: 'r2', attempt: 1, leader: 301 }, AGENT + 1)).toEqual([301]);
  });

  it('an empty table (no /proc) selects nothing', () => {
    expect(runMembers([], { instance: 'i1', runId: 'r1', attempt: 1, leader: 200 }, AGENT)).toEqual([]);
  });
});

describe('instanceMembers', () => {
  it('is every run of the instance with descendants, not the reaper or other instances', () => {
    expect(instanceMembers(table, 'i1', 999)).toEqual([200, 201, 202, 203, 204, 205, 301]);
    expect(instanceMembers(table, 'i0', 999)).toEqual([400, 401]);
  });
});

describe('leftoverMembers', () => {
  it('is what earlier instances on the same folder left, never the current instance or another folder', () => {
    expect(leftoverMembers(table, '/data/a', 'i1', AGENT)).toEqual([400, 401]);
    expect(leftoverMembers(table, '/data/b', 'i1', AGENT)).toEqual([500]);
    expect(leftoverMembers(table, '/data/c', 'i1', AGENT)).toEqual([]);
  });
});

describe('parseStat and parseMarkers', () => {
  // /proc/<pid>/stat: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  // cutime cstime priority nice threads itrealvalue starttime …
  const stat = (comm: string, state: string, started = 4242) => `7 (${comm}) ${state} 3 7 7 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0 ${started} 2170880 1`;
  it('reads ids and start time after the last ")" of the command name', () => {
    expect(parseStat(stat('a) b (c)', 'S'))).toEqual({ ppid: 3, pgid: 7, started: 4242 });
  });
  it('skips zombies and malformed lines', () => {
    expect(parseStat(stat('sleep', 'Z'))).toBeNull();
    expect(parseStat('garbage')).toBeNull();
    expect(parseStat('7 (sleep) S 3 7 7')).toBeNull();
  });
  it('picks the markers from the environment, values with "=" included; none from an empty one', () => {
    const env = ['PATH=/bin', 'BATON_RUN_ID=r1', 'BATON_ATTEMPT=2', 'BATON_AGENT_INSTANCE=i1', 'BATON_AGENT_HOME=/d=x', 'XBATON_RUN_ID=no', ''].join('\0');
    expect(parseMarkers(env)).toEqual({ runId: 'r1', attempt: '2', instance: 'i1', home: '/d=x' });
    expect(parseMarkers('')).toEqual({});
  });
});

describe('ownCgroupDir', () => {
  const mount = (root: string, point: string) => `30 25 0:26 ${root} ${point} rw,nosuid - cgroup2 cgroup2 rw\n`;
  it('joins the cgroup2 mount point and the cgroup of the process', () => {
    expect(ownCgroupDir('0::/system.slice/baton.service\n', mount('/', '/sys/fs/cgroup'))).toBe('/sys/fs/cgroup/system.slice/baton.service');
    expect(ownCgroupDir('4:memory:/x\n0::/\n', `22 1 0:20 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n${mount('/', '/sys/fs/cgroup/unified')}`)).toBe('/sys/fs/cgroup/unified');
  });
  it('strips the root of a mount made inside a cgroup', () => {
    expect(ownCgroupDir('0::/docker/abc/app\n', mount('/docker/abc', '/sys/fs/cgroup'))).toBe('/sys/fs/cgroup/app');
  });
  it('is null without cgroup v2, or when the cgroup is outside the mount', () => {
    expect(ownCgroupDir('4:memory:/x\n', mount('/', '/sys/fs/cgroup'))).toBeNull();
    expect(ownCgroupDir('0::/a\n', '22 1 0:20 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n')).toBeNull();
    expect(ownCgroupDir('0::/elsewhere\n', mount('/docker/abc', '/sys/fs/cgroup'))).toBeNull();
    expect(ownCgroupDir('0::/docker/abcd\n', mount('/docker/abc', '/sys/fs/cgroup'))).toBeNull();
  });
});
