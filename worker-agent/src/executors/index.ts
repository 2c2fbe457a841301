// Handler registry: validates an assignment against its handler and starts it under a deadline.
import type { RejectReason, RunAssign } from '../protocol.js';
import { assertNever, describeIssues } from '../issues.js';
import { noop, shardingDemo } from './demo.js';
import { http } from './http.js';
import { js } from './js.js';
import { shell } from './shell.js';
import type { Execution, Executor, Outcome, RunIO, StopCause } from './types.js';

export type Prepared =
  | { ok: true; start(io: RunIO): Execution }
  | { ok: false; reason: Extract<RejectReason, 'unknown_handler' | 'bad_params'>; message: string };

// Binding each executor to its own params type here keeps the registry free of `any`.
function bind<P>(executor: Executor<P>) {
  return (assign: RunAssign): Prepared => {
    const parsed = executor.params.safeParse(assign.params);
    if (!parsed.success) return { ok: false, reason: 'bad_params', message: describeIssues(parsed.error, 'params') };
    return { ok: true, start: (io) => supervise(executor.start(assign, parsed.data, io), assign.timeoutMs) };
  };
}

const registry: Record<string, (assign: RunAssign) => Prepared> = {
  shell: bind(shell),
  http: bind(http),
  js: bind(js),
  noop: bind(noop),
  'sharding-demo': bind(shardingDemo),
};

export const HANDLERS: readonly string[] = Object.keys(registry);

/** `enabled` is the subset of HANDLERS this agent offers. */
export function prepare(assign: RunAssign, enabled: readonly string[]): Prepared {
  const bound = enabled.includes(assign.handler) ? registry[assign.handler] : undefined;
  if (!bound) {
    return { ok: false, reason: 'unknown_handler', message: `this agent offers ${enabled.join(', ')}, not "${assign.handler}"` };
  }
  return bound(assign);
}

function stoppedOutcome(cause: StopCause, timeoutMs: number): Pick<Outcome, 'state' | 'error'> {
  switch (cause) {
    case 'cancelled':
      return { state: 'cancelled', error: 'stopped by the master' };
    case 'timed_out':
      return { state: 'timed_out', error: `timed out after ${timeoutMs} ms` };
    case 'shutdown':
      // `failed`, not `cancelled`: nobody asked for this, so the run stays eligible for a retry.
      return { state: 'failed', error: 'the agent shut down before the run finished' };
    case 'fenced':
      return { state: 'failed', error: 'stopped by the agent: the master did not renew its lease in time (fencing)' };
    default:
      return assertNever(cause);
  }
}

/**
 * Applies the run's timeout and makes the first stop cause decide the final state, whatever the
 * handler reports after being stopped.
 */
export function supervise(execution: Execution, timeoutMs: number): Execution {
  let cause: StopCause | null = null;
  let settled = false;
  const stop = (why: StopCause) => {
    if (cause || settled) return;
    cause = why;
    execution.stop(why);
  };
  const timer = timeoutMs > 0 ? setTimeout(() => stop('timed_out'), timeoutMs) : null;
  const done = execution.done.then((outcome): Outcome => {
    settled = true;
    if (timer) clearTimeout(timer);
    if (!cause) return outcome;
    return { ...outcome, ...stoppedOutcome(cause, timeoutMs) };
  });
  return { done, stop };
}
