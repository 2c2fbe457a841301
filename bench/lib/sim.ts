// The simulated agents (bench/sim-agents.ts) as one child process enrolled in its own group: started, told to go,
// followed through its status messages, and stopped by its PID.
import { fork } from 'node:child_process';
import path from 'node:path';
import type { Stage } from './setup';

export interface SimStatus { connected: number; refused: number; beats: number }

export interface SimAgents {
  status(): SimStatus;
  go(): void;
  stop(): Promise<void>;
}

export async function simAgents(s: Stage, count: number): Promise<SimAgents> {
  const group = await s.master.api.call('groups.create', { name: 'sim' });
  const token = (await s.master.api.call('enrolments.create', { label: 'simulated agents', groupId: group.id })).secret;
  const sim = fork(path.resolve('bench/sim-agents.ts'), [], {
    execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, SIM_MASTER_URL: s.master.agentUrl, SIM_TOKEN: token, SIM_COUNT: String(count) },
  });
  const exited = new Promise<void>((resolve) => sim.once('exit', () => resolve()));
  let status: SimStatus = { connected: 0, refused: 0, beats: 0 };
  sim.on('message', (m) => { status = m as SimStatus; });
  return {
    status: () => status,
    go: () => { sim.send({ go: true }); },
    stop: async () => {
      if (sim.connected) sim.send({ stop: true });
      const timer = setTimeout(() => sim.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
