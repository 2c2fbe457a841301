// The contract every handler implements: validate params, start, report one outcome, stop on request.
import type { z } from 'zod';
import type { OutboundRules } from '../outbound.js';
import type { ResultState, RunAssign, RunLog } from '../protocol.js';

export type LogStream = RunLog['stream'];

/** Why a run is being stopped before it finished by itself. */
/** `fenced`: the run's lease could not be renewed; it must be dead before the lease ends, so no grace. */
export type StopCause = 'cancelled' | 'timed_out' | 'shutdown' | 'fenced';

export interface Outcome {
  state: ResultState;
  exitCode: number | null;
  output: string;
  error: string | null;
}

/** What a running handler may do besides returning its outcome. */
export interface RunIO {
  log(stream: LogStream, line: string): void;
  /** Where handlers may send requests beyond the default (the agent's --allow-outbound); unset: the default only. */
  outbound?: OutboundRules;
}

export interface Execution {
  /** Settles exactly once, also after `stop` — executors must not wait for cooperation forever. */
  done: Promise<Outcome>;
  stop(cause: StopCause): void;
}

export interface Executor<P> {
  params: z.ZodType<P>;
  start(assign: RunAssign, params: P, io: RunIO): Execution;
}

export function succeeded(output = ''): Outcome {
  return { state: 'succeeded', exitCode: 0, output, error: null };
}

export function failed(error: string, output = '', exitCode: number | null = null): Outcome {
  return { state: 'failed', exitCode, output, error };
}
