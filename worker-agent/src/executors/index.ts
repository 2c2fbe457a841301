// Handler registry: every handler, built-in or from --handlers-dir, is a name, a params schema (announced to the
// master as JSON Schema) and a way to start a run; assignments are checked against it and started under a deadline.
import type { z } from 'zod';
import { paramsSchemaOf, type JsonSchema } from '../handler-schema.js';
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

export interface Handler {
  readonly name: string;
  /** Where it comes from, named when two handlers claim one name: `built-in` or the module's file. */
  readonly source: string;
  /** Its params as JSON Schema, announced to the master at hello. */
  readonly schema: JsonSchema;
  prepare(assign: RunAssign): Prepared;
}

/**
 * A handler from an executor whose params are a zod schema (every built-in, and modules that export one); the
 * announced JSON Schema is generated from that same zod schema, so both say the same.
 */
export function zodHandler<P>(name: string, source: string, executor: Executor<P>): Handler {
  return {
    name,
    source,
    schema: paramsSchemaOf(executor.params as z.ZodType),
    prepare(assign) {
      const parsed = executor.params.safeParse(assign.params);
      if (!parsed.success) return { ok: false, reason: 'bad_params', message: describeIssues(parsed.error, 'params') };
      return { ok: true, start: (io) => supervise(executor.start(assign, parsed.data, io), assign.timeoutMs) };
    },
  };
}

export const BUILTIN_HANDLERS: readonly Handler[] = [
  zodHandler('shell', 'built-in', shell),
  zodHandler('http', 'built-in', http),
  zodHandler('js', 'built-in', js),
  zodHandler('noop', 'built-in', noop),
  zodHandler('sharding-demo', 'built-in', shardingDemo),
];

export const HANDLERS: readonly string[] = BUILTIN_HANDLERS.map((h) => h.name);

/** The handlers one agent offers, by name. */
export class HandlerSet {
  readonly #byName: ReadonlyMap<string, Handler>;

  constructor(handlers: readonly Handler[]) {
    this.#byName = new Map(handlers.map((h) => [h.name, h]));
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** What the hello announces: each handler's params schema. */
  schemas(): Record<string, JsonSchema> {
    return Object.fromEntries([...this.#byName].map(([name, h]) => [name, h.schema]));
  }

  prepare(assign: RunAssign): Prepared {
    const handler = this.#byName.get(assign.handler);
    if (!handler) {
      return { ok: false, reason: 'unknown_handler', message: `this agent offers ${this.names().join(', ')}, not "${assign.handler}"` };
    }
    return handler.prepare(assign);
  }
}

/** The built-ins named in `enabled` (tests of single handlers). */
export function prepare(assign: RunAssign, enabled: readonly string[]): Prepared {
  return new HandlerSet(BUILTIN_HANDLERS.filter((h) => enabled.includes(h.name))).prepare(assign);
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
