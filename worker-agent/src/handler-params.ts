// The params each built-in handler takes: the agent checks every assignment with them, and announces them (as
// JSON Schema) at hello; the master checks a task's params with that JSON Schema when the task is stored, so a bad
// task is refused before it ever runs. Every rule here must survive the JSON Schema conversion (a pattern, not a
// refine), or the master would accept what the agent refuses.
import { z } from 'zod';
import { paramsSchemaOf, type JsonSchema } from './handler-schema.js';

export const ShellParams = z.object({
  command: z.string().min(1),
  cwd: z.string().min(1).optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** Shell binary; default /bin/sh (cmd.exe on Windows). */
  shell: z.string().min(1).optional(),
}).catchall(z.unknown());
export type ShellParams = z.infer<typeof ShellParams>;

const status = z.number().int().min(100).max(599);

export const HttpParams = z.strictObject({
  // Each description is what a JSON Schema check says when a pattern fails (handler-schema.ts), as zod says here.
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL', abort: true })
    .regex(/^https?:\/\//, 'must be an http(s) URL').describe('an http(s) URL'),
  method: z.string().regex(/^[A-Z]+$/, 'must be an upper-case HTTP method').describe('an upper-case HTTP method').default('GET'),
  headers: z.record(z.string(), z.string()).optional(),
  /** A string is sent as is; anything else as JSON. */
  body: z.unknown().optional(),
  /** Accepted status(es); default any 2xx. */
  expectStatus: z.union([status, z.array(status).min(1)]).optional(),
});
export type HttpParams = z.infer<typeof HttpParams>;

export const JsParams = z.strictObject({
  // Either platform's form (/x, \\x, C:\x, C:/x): the master checking a task may not run on the agent's platform.
  module: z.string().regex(/^([/\\]|[A-Za-z]:[/\\]|file:)/, 'must be an absolute path or a file: URL').describe('an absolute path or a file: URL'),
  export: z.string().min(1).default('default'),
});
export type JsParams = z.infer<typeof JsParams>;

export const AnyParams = z.record(z.string(), z.unknown());

export const HANDLER_PARAMS = {
  shell: ShellParams,
  http: HttpParams,
  js: JsParams,
  noop: AnyParams,
  'sharding-demo': AnyParams,
} as const;
export type HandlerName = keyof typeof HANDLER_PARAMS;
export const HANDLER_NAMES = Object.keys(HANDLER_PARAMS) as HandlerName[];

/**
 * The built-in handlers' params as JSON Schema, as every agent announces them: the master knows them before any
 * agent has connected, so built-in handlers work on a fresh master.
 */
export const BUILTIN_PARAMS_SCHEMAS: Readonly<Record<HandlerName, JsonSchema>> = Object.fromEntries(
  HANDLER_NAMES.map((name) => [name, paramsSchemaOf(HANDLER_PARAMS[name])]),
) as Record<HandlerName, JsonSchema>;
