// Handlers from --handlers-dir: every module in the folder exports `{ name, params, run(ctx) }`, with `params` a
// JSON Schema (2020-12) or a zod 4 schema. Each becomes a handler like the built-ins (issue 9); a malformed module
// or a name taken twice stops the agent at start-up with an error naming the file.
import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { ConfigError } from './config.js';
import { BUILTIN_HANDLERS, HandlerSet, supervise, zodHandler, type Handler } from './executors/index.js';
import { runFunction, type HandlerContext } from './executors/function-run.js';
import { compileParamsSchema, type JsonSchema } from './handler-schema.js';

/** What a handler module exports (as its default export, or as named exports). */
export interface HandlerModule {
  /** Tasks name the handler by this: 1-64 letters, digits, '.', '_' or '-'. */
  name: string;
  /** The params a task gives it: a JSON Schema of an object (2020-12), or a zod 4 object schema. */
  params: JsonSchema | z.ZodType;
  /** Returns (or resolves to) the run's output, JSON-encoded; throws to fail the run. */
  run(ctx: HandlerContext): unknown;
}

const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FLAG = '--handlers-dir';

/** The handlers this agent offers: built-ins plus the folder's, narrowed to `enabled` (null: all of them). */
export async function offeredHandlers(handlersDir: string | null, enabled: readonly string[] | null): Promise<HandlerSet> {
  const all = [...BUILTIN_HANDLERS, ...(handlersDir === null ? [] : await loadHandlersDir(handlersDir))];
  if (enabled === null) return new HandlerSet(all);
  const available = all.map((h) => h.name);
  const unknown = enabled.filter((name) => !available.includes(name));
  if (unknown.length) throw new ConfigError('--handlers', `unknown handler(s) ${unknown.join(', ')}; available: ${available.join(', ')}`);
  return new HandlerSet(all.filter((h) => enabled.includes(h.name)));
}

/** Every module in `dir`, in name order; the first malformed one or clashing name is a ConfigError naming the file. */
export async function loadHandlersDir(dir: string): Promise<Handler[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new ConfigError(FLAG, `cannot read ${dir}: ${(err as Error).message}`);
  }
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && MODULE_EXTENSIONS.has(extname(e.name)))
    .map((e) => resolve(join(dir, e.name)))
    .sort();
  const taken = new Map(BUILTIN_HANDLERS.map((h) => [h.name, h.source]));
  const handlers: Handler[] = [];
  for (const file of files) {
    const handler = handlerOf(file, await importModule(file));
    const clash = taken.get(handler.name);
    if (clash !== undefined) {
      throw new ConfigError(FLAG, `${file}: handler name "${handler.name}" is already taken by ${clash === 'built-in' ? 'a built-in handler' : clash}`);
    }
    taken.set(handler.name, file);
    handlers.push(handler);
  }
  return handlers;
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(FLAG, `${file}: cannot load the module: ${(err as Error).message}`);
  }
}

/** The handler a module defines; `file` is named in every error. */
export function handlerOf(file: string, mod: Record<string, unknown>): Handler {
  const bad = (message: string) => new ConfigError(FLAG, `${file}: ${message}`);
  const def = (isObject(mod.default) && ('name' in mod.default || 'run' in mod.default) ? mod.default : mod) as Record<string, unknown>;
  if (typeof def.name !== 'string' || !NAME.test(def.name)) {
    throw bad("must export `name`: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (as `export default { name, params, run }` or named exports)");
  }
  const name = def.name;
  if (typeof def.run !== 'function') throw bad(`handler "${name}": \`run\` must be a function (ctx) => output`);
  const run = def.run as (ctx: HandlerContext) => unknown;
  const call = async (ctx: HandlerContext) => await run(ctx);
  const params = def.params;
  if (isZod(params)) {
    if (!('_zod' in params)) throw bad(`handler "${name}": \`params\` is a zod 3 schema; use zod 4 or a JSON Schema`);
    const schema = params as z.ZodType<Record<string, unknown>>;
    let handler: Handler;
    try {
      handler = zodHandler(name, file, { params: schema, start: (assign, parsed, io) => runFunction(assign, parsed, io, call) });
    } catch (err) {
      throw bad(`handler "${name}": \`params\` cannot be described as JSON Schema: ${(err as Error).message}`);
    }
    // What the master will be told must be a schema it accepts (an object schema, bounded).
    const announced = compileParamsSchema(handler.schema);
    if (!announced.ok) throw bad(`handler "${name}": \`params\` as JSON Schema ${announced.message}`);
    return handler;
  }
  const compiled = compileParamsSchema(params);
  if (!compiled.ok) throw bad(`handler "${name}": \`params\` ${compiled.message}`);
  return {
    name,
    source: file,
    schema: params as JsonSchema,
    prepare(assign) {
      const verdict = compiled.check(assign.params);
      if (!verdict.ok) return { ok: false, reason: 'bad_params', message: verdict.message };
      return { ok: true, start: (io) => supervise(runFunction(assign, assign.params, io, call), assign.timeoutMs) };
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isZod = (v: unknown): v is z.ZodType => isObject(v) && typeof v.safeParse === 'function';
