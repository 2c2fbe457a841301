// Start-up work of an agent on its data folder, before it takes runs: kill what an earlier instance left behind,
// then start the reaper that kills this instance's run processes if the agent dies without cleaning up.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describeIssues } from '../issues.js';
import type { Logger } from '../logger.js';
import { ConfigError } from '../config.js';
import { cgroupName, claimHome, type CgroupMode } from './instance.js';
import { leftoverMembers } from './members.js';
import { sweepSync } from './sweep.js';
import { encodeGuardMessage, type GuardMessage } from './lease-guard.js';

/** What the running instance records in its data folder, for the next one to clean up after it. */
const InstanceRecord = z.object({
  instance: z.string().min(1),
  agentPid: z.number().int(),
  reaperPid: z.number().int().nullable(),
  cgroup: z.string().min(1).nullable(),
}).refine((r) => r.cgroup === null || basename(r.cgroup) === cgroupName(r.instance), {
  // A record pointing anywhere else (edited by hand, say) must never make the agent kill a foreign cgroup.
  message: 'cgroup must be the instance\'s own',
  path: ['cgroup'],
});
type InstanceRecord = z.infer<typeof InstanceRecord>;

export const RECORD_FILE = 'processes.json';

/** The agent's side of the lease the reaper enforces (lease-guard.ts). */
export interface LeaseGuard {
  /** Kill every run process of this instance in `ms` unless told again. */
  fenceIn(ms: number): void;
  /** No runs: nothing to enforce. */
  idle(): void;
}

export interface Watchdog extends LeaseGuard {
  readonly reaperPid: number | null;
  /** Closes the reaper's pipe, as the agent's exit would: it sweeps once and exits. */
  stop(): void;
}

export const CGROUP_ENV = 'BATON_AGENT_CGROUP';
const CGROUP_MODES: readonly CgroupMode[] = ['auto', 'off'];

export function cgroupMode(env: NodeJS.ProcessEnv): CgroupMode {
  const value = env[CGROUP_ENV] ?? 'auto';
  const mode = CGROUP_MODES.find((m) => m === value);
  if (!mode) throw new ConfigError(CGROUP_ENV, `must be ${CGROUP_MODES.join(' or ')}, not "${value}"`);
  return mode;
}

/** Call before the agent takes runs; `env` is read for BATON_AGENT_CGROUP. */
export function guardRuns(dataDir: string, log: Logger, env: NodeJS.ProcessEnv = process.env): Watchdog {
  const cgroups = cgroupMode(env);
  mkdirSync(dataDir, { recursive: true });
  const recordFile = join(dataDir, RECORD_FILE);
  const previous = readRecord(recordFile, log);
  const instance = claimHome(dataDir, cgroups);
  const killed = sweepSync((table) => leftoverMembers(table, dataDir, instance.id, process.pid), previous?.cgroup ?? null);
  if (killed.length) log.warn({ pids: killed, previousInstance: previous?.instance }, 'killed run processes an earlier agent on this data folder left behind');

  const script = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './reaper.ts' : './reaper.js', import.meta.url));
  const reaper = spawn(process.execPath, [...process.execArgv, script, instance.id, instance.cgroup ?? ''], {
    // Its own session: a Ctrl-C to the agent's terminal group must not take the reaper down with it.
    detached: true,
    // Nothing of the agent's output: a pipe the reaper held would outlive the agent.
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  reaper.on('error', (err) => log.error({ err: err.message }, 'could not start the run reaper; runs may outlive a killed agent'));
  reaper.unref();
  // A reaper that died makes writes fail with EPIPE; that must not take the agent down (its runs are then guarded
  // by the agent's own fencing only, as the 'error' above already logs when it could not start).
  reaper.stdin?.on('error', (err) => log.warn({ err: err.message }, 'the run reaper\'s pipe failed; the lease is enforced by the agent alone'));
  const send = (message: GuardMessage) => {
    if (reaper.stdin?.writable) reaper.stdin.write(encodeGuardMessage(message));
  };
  const reaperPid = reaper.pid ?? null;
  const record: InstanceRecord = { instance: instance.id, agentPid: process.pid, reaperPid, cgroup: instance.cgroup };
  writeFileSync(recordFile, `${JSON.stringify(record)}\n`);
  const why = cgroups === 'off' ? `${CGROUP_ENV}=off` : 'no cgroup v2 this agent may use';
  const how = instance.cgroup ? 'run processes contained in a cgroup' : `run processes tracked by their environment markers (${why})`;
  log.info({ instance: instance.id, reaperPid, cgroup: instance.cgroup }, how);

  return {
    reaperPid,
    fenceIn: (ms) => send({ type: 'fence', inMs: Math.max(0, Math.floor(ms)) }),
    idle: () => send({ type: 'idle' }),
    stop() {
      // Not awaited: the reaper sweeps once (finding nothing after a clean stop) and exits by itself; waiting
      // would hold the agent's exit for as long as the reaper takes to start on a busy host.
      reaper.stdin?.end();
    },
  };
}

/** The previous instance's record, or why it cannot be used (its leftovers are then found by marker only). */
export function parseRecord(text: string): { ok: true; record: InstanceRecord } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `not JSON: ${(err as Error).message}` };
  }
  const parsed = InstanceRecord.safeParse(json);
  return parsed.success ? { ok: true, record: parsed.data } : { ok: false, message: describeIssues(parsed.error, 'record') };
}

function readRecord(file: string, log: Logger): InstanceRecord | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const parsed = parseRecord(text);
  if (!parsed.ok) log.warn({ file, reason: parsed.message }, 'unusable record of the previous agent instance; its leftovers are found by marker only');
  return parsed.ok ? parsed.record : null;
}
