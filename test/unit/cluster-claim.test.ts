// Who may start an embedded cluster after a crash: pure decisions over the facts read at start-up.
import { describe, expect, it } from 'vitest';
import { decideClusterStart, isPostgresOf, parsePostmaster, type ClusterFacts } from '../../src-main/master/db/cluster-claim';

const base: ClusterFacts = {
  clusterDir: '/var/lib/baton/postgres-abc', dataDir: '/home/op/.baton',
  postmaster: null, postmasterAlive: false, owner: null, ownerAlive: false, selfPid: 500,
};

describe('decideClusterStart', () => {
  it('starts a cluster nobody runs', () => {
    expect(decideClusterStart(base)).toEqual({ kind: 'start' });
  });

  it('stops the PostgreSQL of a master that died, then starts', () => {
    const facts = { ...base, postmaster: { pid: 77, clusterDir: base.clusterDir, port: 5433 }, postmasterAlive: true };
    expect(decideClusterStart({ ...facts, owner: { pid: 66, dataDir: base.dataDir }, ownerAlive: false })).toEqual({ kind: 'stop-orphan', pid: 77 });
    // A cluster from before owner locks existed: no owner recorded, PostgreSQL still up.
    expect(decideClusterStart(facts)).toEqual({ kind: 'stop-orphan', pid: 77 });
  });

  it('clears a postmaster.pid whose process is gone or is not this cluster\'s PostgreSQL', () => {
    const facts = { ...base, postmaster: { pid: 77, clusterDir: base.clusterDir, port: 5433 }, postmasterAlive: false };
    expect(decideClusterStart(facts)).toEqual({ kind: 'clear-stale-pid-file' });
  });

  it('refuses a cluster whose master lives, naming its PID and data folder', () => {
    const facts = {
      ...base, postmaster: { pid: 77, clusterDir: base.clusterDir, port: 5433 }, postmasterAlive: true,
      owner: { pid: 66, dataDir: base.dataDir }, ownerAlive: true,
    };
    const decision = decideClusterStart(facts);
    expect(decision.kind).toBe('refuse');
    if (decision.kind !== 'refuse') return;
    expect(decision.error.code).toBe('conflict');
    expect(decision.error.message).toContain('another master (PID 66)');
    expect(decision.error.message).toContain(base.dataDir);
    expect(decision.error.data).toEqual({ pid: 66, dataDir: base.dataDir, clusterDir: base.clusterDir });
    // A live master that is still starting (no PostgreSQL yet) owns the folder just the same.
    expect(decideClusterStart({ ...facts, postmaster: null, postmasterAlive: false }).kind).toBe('refuse');
  });

  it('refuses a second master on the same folder in the same process', () => {
    const decision = decideClusterStart({ ...base, owner: { pid: 500, dataDir: base.dataDir }, ownerAlive: true });
    expect(decision.kind === 'refuse' && decision.error.message).toContain('this process (PID 500)');
  });
});

describe('parsePostmaster', () => {
  it('reads the PID, cluster folder and port', () => {
    const text = '4242\n/var/lib/baton/postgres-abc\n1795697544\n33567\n\n127.0.0.1\n  1234   5678\nready   \n';
    expect(parsePostmaster(text)).toEqual({ pid: 4242, clusterDir: '/var/lib/baton/postgres-abc', port: 33567 });
  });

  it.each([[''], ['\n'], ['abc\n/x\n'], ['-3\n/x\n'], ['12\n']])('is null for %j (empty, cut short or garbled)', (text) => {
    expect(parsePostmaster(text)).toBeNull();
  });
});

describe('isPostgresOf', () => {
  const dir = '/var/lib/baton/postgres-abc';
  it('knows the PostgreSQL server of this cluster', () => {
    expect(isPostgresOf(['/opt/native/bin/postgres', '-D', dir, '-p', '5433', ''], dir)).toBe(true);
    expect(isPostgresOf(['postgres', '-D', `${dir}/`], dir)).toBe(true);
  });

  it('refuses another program, another cluster, or no -D', () => {
    expect(isPostgresOf(['/usr/bin/node', '-D', dir], dir)).toBe(false);
    expect(isPostgresOf(['/opt/native/bin/postgres', '-D', '/var/lib/baton/postgres-other'], dir)).toBe(false);
    expect(isPostgresOf(['/opt/native/bin/postgres'], dir)).toBe(false);
    expect(isPostgresOf([], dir)).toBe(false);
  });
});
