// The desktop app's local agent (agents/local-agent.ts): its master hands it a credential directly, in its data
// folder; a restart reuses it, and a revoked one is replaced, so the app keeps working without enrolment tokens.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAgent, type LocalAgent } from '../../src-main/master/agents/local-agent';
import { freshDatabase, startTestMaster, waitFor, type TestMaster } from './harness';

describe('local agent', () => {
  let master: TestMaster;
  let agent: LocalAgent | null = null;
  const start = () => startLocalAgent(master, { execPath: process.execPath, name: 'local-test' });
  const online = () => waitFor('local agent online', async () =>
    (await master.api.call('workers.list', {})).find((w) => w.name === 'local-test')?.status === 'online', 30_000);
  const live = async () => (await master.api.call('credentials.list', {})).filter((c) => c.workerName === 'local-test' && !c.revokedAt);

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  it('joins group "local" with a credential its master wrote (mode 600), and keeps it across restarts', async () => {
    agent = await start();
    await online();
    const file = path.join(master.config.dataDir, 'local-agent', 'credential');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const [first] = await live();
    expect((await master.api.call('groups.list', {})).map((g) => g.name)).toContain('local');
    await agent.stop();
    agent = await start();
    await online();
    expect((await live()).map((c) => c.id)).toEqual([first!.id]);
  });

  it('gets a new credential when its own was revoked', async () => {
    const [old] = await live();
    await agent!.stop();
    await master.api.call('credentials.revoke', { id: old!.id });
    agent = await start();
    await online();
    const now = await live();
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(old!.id);
  });
});
