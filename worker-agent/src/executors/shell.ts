// `shell` handler: runs a command line in its own process group (and cgroup, where the agent may make one), so
// stop and timeout end the whole tree; processes that left the group (`setsid`, double forks) are found by the
// markers they inherit (processes/run-tree.ts).
import { spawn, type ChildProcessByStdio, type SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ShellParams } from '../handler-params.js';
import { agentInstance } from '../processes/instance.js';
import { instanceMembers } from '../processes/members.js';
import { openRunTree, type RunTree } from '../processes/run-tree.js';
import { sweepSync } from '../processes/sweep.js';
import { lineSplitter, TailBuffer } from './output.js';
import { runEnv } from './run-env.js';
import { failed, succeeded, type Execution, type Executor, type Outcome } from './types.js';

const KNOWN = Object.keys(ShellParams.shape);

/** Other params (say, ones an API trigger adds) reach the command as BATON_PARAM_<KEY> variables. */

export function paramEnv(params: ShellParams): Record<string, string> {
  const extra = Object.entries(params).filter(([key]) => !KNOWN.includes(key));
  return Object.fromEntries(extra.map(([key, value]) => [
    `BATON_PARAM_${key.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`,
    typeof value === 'string' ? value : JSON.stringify(value),
  ]));
}

/** Time a tree gets between SIGTERM and SIGKILL on stop and timeout. */
const KILL_GRACE_MS = 2_000;
/** Time stdout/stderr get to drain after the shell exited, before leftovers are killed. */
const DRAIN_MS = 1_000;
const isWindows = process.platform === 'win32';

export const shell: Executor<ShellParams> = {
  params: ShellParams,
  start(assign, params, io): Execution {
    const tree = openRunTree(assign.runId, assign.attempt);
    const child = launch(params, tree, {
      cwd: params.cwd,
      env: { ...process.env, ...paramEnv(params), ...params.env, ...runEnv(assign), ...tree.env },
      // Own process group on POSIX (setsid), so `kill(-pid)` reaches every descendant that stays in it.
      detached: !isWindows,
      windowsHide: true,
    });
    const pid = child.pid;
    if (pid !== undefined) {
      tree.adopt(pid);
      trackGroup(pid);
    }
    const tail = new TailBuffer();
    const timers = new Set<NodeJS.Timeout>();
    const later = (ms: number, fn: () => void) => timers.add(setTimeout(fn, ms));
    let exited = false;
    const kill = (signal: NodeJS.Signals) => {
      // Windows has no groups: once the shell exited, its pid may already belong to someone else.
      if (pid !== undefined && !(isWindows && exited)) killGroup(pid, signal);
      void tree.signal(signal);
    };

    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = lineSplitter(io, stream);
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        tail.append(chunk);
        lines.write(chunk);
      });
      child[stream].on('end', () => lines.end());
    }

    const done = new Promise<Outcome>((resolve) => {
      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      // The run is over only when nothing it started is left, so a retry never overlaps it.
      const finish = (outcome: Outcome) => {
        for (const timer of timers) clearTimeout(timer);
        void tree.end().then(() => {
          if (pid !== undefined) untrackGroup(pid);
          resolve(outcome);
        });
      };
      child.on('error', (err) => {
        // A missing cwd surfaces as "spawn /bin/sh ENOENT", so name the cwd in the message.
        const where = params.cwd ? ` in ${params.cwd}` : '';
        finish(failed(`could not start the command${where}: ${err.message}`, tail.toString()));
      });
      child.on('exit', (code, signal) => {
        // A run owns its process group: whatever it left behind would outlive the run unseen and keep
        // the output pipes open, so it is ended with the run.
        exit = { code, signal };
        exited = true;
        kill('SIGTERM');
        later(DRAIN_MS, () => {
          kill('SIGKILL');
          child.stdout.destroy();
          child.stderr.destroy();
        });
      });
      child.on('close', () => {
        if (!exit) return; // 'error' already settled it
        const output = tail.toString();
        if (exit.code === 0) finish(succeeded(output));
        else if (exit.code !== null) finish(failed(`exit code ${exit.code}`, output, exit.code));
        else finish(failed(`killed by ${exit.signal ?? 'a signal'}`, output));
      });
    });

    return {
      done,
      stop(cause) {
        if (cause === 'fenced') return kill('SIGKILL'); // the lease leaves no time for a grace
        kill('SIGTERM');
        later(KILL_GRACE_MS, () => kill('SIGKILL'));
      },
    };
  },
};

/**
 * With a cgroup, a tiny sh puts itself into it and then execs the command's shell, so nothing the command
 * starts can fork before it is contained (Node cannot spawn straight into a cgroup).
 */
function launch(params: ShellParams, tree: RunTree, options: Omit<SpawnOptions, 'stdio'>): ChildProcessByStdio<null, Readable, Readable> {
  const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
  if (!tree.cgroupProcs || isWindows) return spawn(params.command, { ...options, stdio, shell: params.shell ?? true });
  const join = '{ echo $$ >"$0"; } 2>/dev/null; exec "$@"';
  return spawn('/bin/sh', ['-c', join, tree.cgroupProcs, params.shell ?? '/bin/sh', '-c', params.command], { ...options, stdio });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (isWindows) {
    // taskkill /T walks the tree instead.
    spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => {});
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // ESRCH: the group is already gone
  }
}

/**
 * Process groups of runs in flight. Being detached, they would outlive an agent that exits abruptly (a second
 * signal, a crash), so an exit hook ends them, and whatever else the runs started, while any exist. Nothing can
 * run when the agent is SIGKILLed: its reaper (processes/reaper.ts) does this then.
 */
const liveGroups = new Set<number>();
function killLiveGroups(): void {
  if (isWindows) return;
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  const instance = agentInstance();
  sweepSync((table) => instanceMembers(table, instance.id, process.pid), instance.cgroup);
}
function trackGroup(pid: number): void {
  if (liveGroups.size === 0) process.on('exit', killLiveGroups);
  liveGroups.add(pid);
}
function untrackGroup(pid: number): void {
  if (liveGroups.delete(pid) && liveGroups.size === 0) process.off('exit', killLiveGroups);
}
