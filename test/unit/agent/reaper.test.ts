// The real reaper process enforcing the lease over its pipe: a deadline that passes unrenewed kills the agent
// instance's marked processes and the reaper keeps running; `idle` disarms; garbage never stops it; the pipe's
// end still sweeps and exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MARKER } from '../../../worker-agent/src/processes/members';

const REAPER = new URL('../../../worker-agent/src/processes/reaper.ts', import.meta.url).pathname;
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function startReaper(instance: string): ChildProcess {
  const reaper = spawn(process.execPath, ['--import', 'tsx', REAPER, instance, ''], { stdio: ['pipe', 'ignore', 'inherit'] });
  started.push(reaper);
  return reaper;
}

/** A run process of `instance`, as the agent marks them. */
function runProcess(instance: string): ChildProcess {
  const child = spawn('sleep', ['60'], { env: { ...process.env, [MARKER.instance]: instance }, stdio: 'ignore' });
  started.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(process.platform === 'linux')('reaper lease enforcement', () => {
  it('kills the instance\'s runs when the deadline passes unrenewed, ignores garbage, and keeps running', async () => {
    const instance = randomUUID();
    const reaper = startReaper(instance);
    const run = runProcess(instance);
    const other = runProcess(randomUUID()); // another instance's run: never touched
    reaper.stdin!.write('not json\n{"type":"kill"}\n{"type":"fence","inMs":-5}\n');
    reaper.stdin!.write(`${'x'.repeat(5_000)}\n`);
    reaper.stdin!.write('{"type":"fence","inMs":300}\n');
    await vi.waitFor(() => expect(run.signalCode).toBe('SIGKILL'), { timeout: 10_000, interval: 50 });
    expect(exited(other)).toBe(false);
    expect(exited(reaper)).toBe(false);

    // Still enforcing: a new run under a new deadline dies the same way.
    const next = runProcess(instance);
    reaper.stdin!.write('{"type":"fence","inMs":200}\n');
    await vi.waitFor(() => expect(next.signalCode).toBe('SIGKILL'), { timeout: 10_000, interval: 50 });
    expect(exited(reaper)).toBe(false);
  }, 20_000);

  it('renewals push the deadline on and idle disarms it; the pipe\'s end still sweeps and exits', async () => {
    const instance = randomUUID();
    const reaper = startReaper(instance);
    const run = runProcess(instance);
    for (let i = 0; i < 6; i++) {
      reaper.stdin!.write('{"type":"fence","inMs":600}\n');
      await sleep(200);
    }
    reaper.stdin!.write('{"type":"idle"}\n');
    await sleep(1_500);
    expect(exited(run)).toBe(false);

    reaper.stdin!.end();
    await vi.waitFor(() => expect(run.signalCode).toBe('SIGKILL'), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(reaper.exitCode).toBe(0), { timeout: 10_000, interval: 50 });
  }, 20_000);
});
