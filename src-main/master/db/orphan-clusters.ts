// As root the embedded cluster lives outside the data folder (see clusterDir), so deleting a data folder would
// leave its cluster behind for good. Each cluster records its owner; one whose owner is gone is removed.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ownerLockFile } from './cluster-facts';

const OWNER_SUFFIX = '.owner';

export async function recordOwner(clusterDir: string, dataDir: string): Promise<void> {
  await fs.writeFile(`${clusterDir}${OWNER_SUFFIX}`, path.resolve(dataDir));
}

async function running(clusterDir: string): Promise<boolean> {
  const pidFile = await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = Number(pidFile?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes the clusters under `root` whose data folder no longer holds its password; returns what went. */
export async function pruneOrphanClusters(root: string): Promise<string[]> {
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names.filter((n) => n.endsWith(OWNER_SUFFIX))) {
    const cluster = path.join(root, name.slice(0, -OWNER_SUFFIX.length));
    const owner = (await fs.readFile(path.join(root, name), 'utf8').catch(() => null))?.trim();
    if (!owner) continue;
    const ownerAlive = await fs.access(path.join(owner, 'postgres.secret')).then(() => true, () => false);
    if (ownerAlive || await running(cluster)) continue;
    await fs.rm(cluster, { recursive: true, force: true });
    await fs.rm(path.join(root, name), { force: true });
    await fs.rm(ownerLockFile(cluster), { force: true });
    removed.push(cluster);
  }
  return removed;
}
