// Shared test fixtures for the agent: assignments, an IO recorder, temp dirs that are always removed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { RunAssign } from 'baton-agent/protocol';
import { HANDLERS, prepare } from '../../../worker-agent/src/executors/index';
import type { Execution, LogStream, RunIO } from '../../../worker-agent/src/executors/types';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let runs = 0;
export function assignment(handler: string, params: Record<string, unknown>, over: Partial<RunAssign> = {}): RunAssign {
  runs += 1;
  return {
    runId: `run-${runs}`,
    attempt: 1,
    taskId: 'task-1',
    taskName: 'test task',
    handler,
    params,
    timeoutMs: 0,
    shard: { index: 0, total: 1 },
    traceId: TRACE_ID,
    parent: null,
    parents: [],
    ...over,
  };
}

export class Recorder implements RunIO {
  readonly lines: { stream: LogStream; line: string }[] = [];
  #waiters: { test: () => boolean; resolve: () => void }[] = [];

  log(stream: LogStream, line: string): void {
    this.lines.push({ stream, line });
    this.#waiters = this.#waiters.filter((w) => !(w.test() && (w.resolve(), true)));
  }

  text(): string[] {
    return this.lines.map((l) => l.line);
  }

  /** Resolves once the logged lines so far satisfy `test`. */
  until(test: (lines: string[]) => boolean): Promise<void> {
    const check = () => test(this.text());
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ test: check, resolve }));
  }
}

/** Starts `assign` through the registry, as the agent does (params check + timeout supervision). */
export function start(assign: RunAssign, io: RunIO = new Recorder()): Execution {
  const prepared = prepare(assign, HANDLERS);
  if (!prepared.ok) throw new Error(`not accepted: ${prepared.reason}: ${prepared.message}`);
  return prepared.start(io);
}

const dirs: string[] = [];
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-agent-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
