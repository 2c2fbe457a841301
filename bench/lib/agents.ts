// Real baton-agent processes for the benchmarks, each stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { tempDir } from './cluster';

const AGENT_CLI = path.resolve('worker-agent/bin/baton-agent.js');

// Should the benchmark die without its finally blocks (e.g. its output pipe closed), no agent outlives it.
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

export interface AgentProcess {
  name: string;
  pid: number;
  process: ChildProcess;
  output(): string;
  exited: Promise<void>;
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export async function startAgents(
  agentUrl: string, token: string, opts: { count: number; group: string; capacity: number; prefix?: string },
): Promise<AgentProcess[]> {
  const agents: AgentProcess[] = [];
  for (let i = 0; i < opts.count; i++) {
    const name = `${opts.prefix ?? 'bench'}-${i}`;
    const dataDir = await tempDir('baton-bench-agent-');
    const child = spawn(process.execPath, [...(process.env.BENCH_AGENT_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_AGENT_CPU_PROF}`] : []),
      AGENT_CLI, '--master', agentUrl, '--token', token, '--group', opts.group, '--name', name,
      '--capacity', String(opts.capacity), '--data-dir', dataDir, '--log-level', 'warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (c: Buffer) => { out = (out + c.toString()).slice(-20_000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    live.add(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => { live.delete(child); resolve(); }));
    const alive = () => child.exitCode === null && child.signalCode === null;
    agents.push({
      name, pid: child.pid!, process: child, output: () => out, exited,
      kill: (signal) => { if (alive()) child.kill(signal); },
      stop: async () => {
        if (!alive()) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => { if (alive()) child.kill('SIGKILL'); }, 5_000);
        await exited;
        clearTimeout(timer);
      },
    });
  }
  return agents;
}

export async function stopAgents(agents: AgentProcess[]): Promise<void> {
  await Promise.all(agents.map((a) => a.stop()));
}
