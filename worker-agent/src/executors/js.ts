// `js` handler: imports an ES module and calls one of its exports with the run's context.
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { JsParams } from '../handler-params.js';
import type { RunAssign } from '../protocol.js';
import { capLine, TailBuffer } from './output.js';
import { failed, succeeded, type Execution, type Executor, type Outcome } from './types.js';


/** What the module's function receives. */
export interface JsRunContext {
  runId: string;
  attempt: number;
  params: Record<string, unknown>;
  shard: RunAssign['shard'];
  traceId: string;
  parent: RunAssign['parent'];
  /** Every parent run (several for a workflow join) with its output. */
  parents: RunAssign['parents'];
  log(line: string): void;
  /** Aborted on stop or timeout; the run ends then whether or not the function notices. */
  signal: AbortSignal;
}

export const js: Executor<JsParams> = {
  params: JsParams,
  start(assign, params, io): Execution {
    const abort = new AbortController();
    const ctx: JsRunContext = {
      runId: assign.runId,
      attempt: assign.attempt,
      params: assign.params,
      shard: assign.shard,
      traceId: assign.traceId,
      parent: assign.parent,
      parents: assign.parents,
      log: (line) => String(line).split(/\r?\n/).forEach((l) => io.log('stdout', capLine(l))),
      signal: abort.signal,
    };
    const work = call(params, ctx).then(
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
  },
};

async function call(params: JsParams, ctx: JsRunContext): Promise<unknown> {
  const url = params.module.startsWith('file:') ? new URL(params.module) : pathToFileURL(params.module);
  // Node caches modules by URL; keying on mtime makes an edited module take effect without an agent
  // restart (each edit keeps one more version loaded, which is fine for the rare redeploy).
  url.searchParams.set('mtime', String((await stat(url)).mtimeMs));
  const mod = (await import(url.href)) as Record<string, unknown>;
  const fn = mod[params.export];
  if (typeof fn !== 'function') throw new Error(`${params.module} has no function export "${params.export}"`);
  return await (fn as (ctx: JsRunContext) => unknown)(ctx);
}

function bounded(text: string): string {
  const tail = new TailBuffer();
  tail.append(text);
  return tail.toString();
}
