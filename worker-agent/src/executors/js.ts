// `js` handler: imports an ES module and calls one of its exports with the run's context.
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { JsParams } from '../handler-params.js';
import { runFunction, type HandlerContext } from './function-run.js';
import type { Executor } from './types.js';

/** What the module's function receives. */
export type JsRunContext = HandlerContext;

export const js: Executor<JsParams> = {
  params: JsParams,
  // The module gets the task's params as written (its own `module` and `export` included).
  start: (assign, params, io) => runFunction(assign, assign.params, io, (ctx) => call(params, ctx)),
};

async function call(params: JsParams, ctx: HandlerContext): Promise<unknown> {
  const url = params.module.startsWith('file:') ? new URL(params.module) : pathToFileURL(params.module);
  // Node caches modules by URL; keying on mtime makes an edited module take effect without an agent
  // restart (each edit keeps one more version loaded, which is fine for the rare redeploy).
  url.searchParams.set('mtime', String((await stat(url)).mtimeMs));
  const mod = (await import(url.href)) as Record<string, unknown>;
  const fn = mod[params.export];
  if (typeof fn !== 'function') throw new Error(`${params.module} has no function export "${params.export}"`);
  return await (fn as (ctx: HandlerContext) => unknown)(ctx);
}
