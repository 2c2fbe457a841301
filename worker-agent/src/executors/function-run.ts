// Runs a JavaScript function as a run: the `js` handler's module export and every handler from --handlers-dir.
import type { RunAssign } from '../protocol.js';
import { capLine, TailBuffer } from './output.js';
import { failed, succeeded, type Execution, type Outcome, type RunIO } from './types.js';

/** What a handler function receives (the `js` handler's export, a --handlers-dir module's `run`). */
export interface HandlerContext {
  runId: string;
  attempt: number;
  /** The task's params, as checked against the handler's schema. */
  params: Record<string, unknown>;
  shard: RunAssign['shard'];
  traceId: string;
  parent: RunAssign['parent'];
  /** Every parent run (several for a workflow join) with its stored output. */
  parents: RunAssign['parents'];
  /** One line (or several, split on newlines) of the run's log. */
  log(line: string): void;
  /**
   * Aborted on stop, timeout, shutdown or fencing; the run ends then whether or not the function notices, so a
   * function with outside work should pass it on (fetch, child processes) or check it.
   */
  signal: AbortSignal;
}

export type HandlerFunction = (ctx: HandlerContext) => unknown;

/** `call` gets the context; what it returns (JSON) is the run's output, what it throws the run's error. */
export function runFunction(
  assign: RunAssign,
  params: Record<string, unknown>,
  io: RunIO,
  call: (ctx: HandlerContext) => Promise<unknown>,
): Execution {
  const abort = new AbortController();
  const ctx: HandlerContext = {
    runId: assign.runId,
    attempt: assign.attempt,
    params,
    shard: assign.shard,
    traceId: assign.traceId,
    parent: assign.parent,
    parents: assign.parents,
    log: (line) => String(line).split(/\r?\n/).forEach((l) => io.log('stdout', capLine(l))),
    signal: abort.signal,
  };
  // Called now, not on a later tick: a stop that comes right after must find the function's abort listeners.
  const work = (async () => call(ctx))().then(
      (value) => succeeded(bounded(value === undefined ? '' : JSON.stringify(value))),
      (err: unknown) => failed(err instanceof Error ? err.message : String(err)),
    );
  let stopped!: (outcome: Outcome) => void;
  const stop = new Promise<Outcome>((resolve) => (stopped = resolve));
  return {
    done: Promise.race([work, stop]),
    stop(cause) {
      abort.abort(new Error(cause));
      stopped(failed(`stopped: ${cause}`));
    },
  };
}

function bounded(text: string): string {
  const tail = new TailBuffer();
  tail.append(text);
  return tail.toString();
}
