// Clusters kept outside their data folder are removed once that folder is gone, and only then.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneOrphanClusters, recordOwner } from '../../src-main/master/db/orphan-clusters';

describe('pruneOrphanClusters', () => {
  let root: string;
  let homes: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-clusters-'));
    homes = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-homes-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(homes, { recursive: true, force: true });
  });

  async function cluster(name: string, opts: { owner?: 'present' | 'gone'; pid?: number }): Promise<string> {
    const dir = path.join(root, name);
    await fs.mkdir(dir);
    if (opts.pid) await fs.writeFile(path.join(dir, 'postmaster.pid'), `${opts.pid}\n/var/lib/x\n`);
    if (opts.owner) {
      const home = path.join(homes, name);
      await fs.mkdir(home);
      if (opts.owner === 'present') await fs.writeFile(path.join(home, 'postgres.secret'), 'x');
      await recordOwner(dir, home);
    }
    return dir;
  }

  it('removes a stopped cluster whose data folder is gone, with its owner record', async () => {
    const orphan = await cluster('postgres-orphan', { owner: 'gone' });
    const dead = await cluster('postgres-dead-pid', { owner: 'gone', pid: 2 ** 22 + 17 });
    expect((await pruneOrphanClusters(root)).sort()).toEqual([dead, orphan].sort());
    expect(await fs.readdir(root)).toEqual([]);
  });

  it('keeps clusters whose data folder is there, that are running, or whose owner is unknown', async () => {
    await cluster('postgres-owned', { owner: 'present' });
    await cluster('postgres-running', { owner: 'gone', pid: process.pid });
    await cluster('postgres-legacy', {});
    expect(await pruneOrphanClusters(root)).toEqual([]);
    expect((await fs.readdir(root)).filter((n) => !n.endsWith('.owner')).sort()).toEqual(['postgres-legacy', 'postgres-owned', 'postgres-running']);
  });

  it('answers nothing for a root that does not exist', async () => {
    expect(await pruneOrphanClusters(path.join(root, 'missing'))).toEqual([]);
  });
});
