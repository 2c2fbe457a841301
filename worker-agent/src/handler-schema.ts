// Handler params as JSON Schema: what an agent announces for each handler at hello, and the one validator that the
// agent (for handlers written with a JSON Schema) and the master (for every task it stores) check params with, so
// both sides agree on what a handler takes (issue 9).
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/** A schema larger than this (as JSON) is refused: the hello carries up to 64 of them (see AgentHello). */
export const SCHEMA_MAX_CHARS = 16_384;
/** Nesting deeper than this is refused before anything walks the schema recursively. */
const SCHEMA_MAX_DEPTH = 32;
const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';

/** `field`: where the first problem is, as sent (`params.url`); `message` names it too. */
export type ParamsVerdict = { ok: true } | { ok: false; field: string; message: string };
export type ParamsCheck = (params: unknown) => ParamsVerdict;
export type SchemaVerdict = { ok: true; check: ParamsCheck } | { ok: false; message: string };

type FormatsPlugin = typeof addFormatsModule.default;
// ajv-formats is CommonJS with its plugin on `default`; Node's ESM loader gives the whole module, bundlers the plugin.
const addFormats: FormatsPlugin = (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);
// Strict: an unknown keyword or format is an error the handler's author sees at once, not a check silently skipped.
// `verbose` gives each error its schema, whose `description` words a failed pattern or format (below).
const ajv = addFormats(new Ajv2020({ strict: true, strictTypes: false, strictTuples: false, strictRequired: false, addUsedSchema: false, verbose: true }));

/** Compiled validators by schema text: agents of a group announce the same schemas on every connect. */
const compiled = new Map<string, ValidateFunction>();
const COMPILED_MAX = 1_000;

/** Whether `schema` is a usable params schema (bounded, an object schema, valid JSON Schema 2020-12), and its check. */
export function compileParamsSchema(schema: unknown): SchemaVerdict {
  const shape = schemaShapeProblem(schema);
  if (shape) return { ok: false, message: shape };
  const text = JSON.stringify(schema);
  const validate = compiled.get(text) ?? compile(schema as JsonSchema);
  if (typeof validate === 'string') return { ok: false, message: `is not a valid JSON Schema: ${validate}` };
  if (!compiled.has(text)) {
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    compiled.set(text, validate);
  }
  return {
    ok: true,
    check: (params) => (validate(params) ? { ok: true } : { ok: false, ...describeErrors(validate.errors ?? []) }),
  };
}

/** The validator, or why ajv refused the schema. */
function compile(schema: JsonSchema): ValidateFunction | string {
  try {
    return ajv.compile(schema);
  } catch (err) {
    return (err as Error).message;
  }
}

/** What can be told about a schema without compiling it: bounded, nested at most so deep, an object schema. */
export function schemaShapeProblem(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'must be a JSON Schema object';
  if (depthOver(schema, SCHEMA_MAX_DEPTH)) return `is nested deeper than ${SCHEMA_MAX_DEPTH} levels`;
  if (JSON.stringify(schema).length > SCHEMA_MAX_CHARS) return `is larger than ${SCHEMA_MAX_CHARS} characters as JSON`;
  const s = schema as JsonSchema;
  if (s.$schema !== undefined && s.$schema !== DRAFT_2020) return `$schema: only JSON Schema 2020-12 (${DRAFT_2020}) is supported`;
  if (s.type !== 'object') return 'must describe an object of params (type: "object")';
  return null;
}

/** Iterative, so a hostile nesting cannot overflow the stack. */
function depthOver(value: object, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** `params.url: must match format "uri"`, naming the param as sent; the first few problems, `;`-separated. */
function describeErrors(errors: readonly ErrorObject[]): { field: string; message: string } {
  const described = errors.slice(0, 5).map((e) => {
    const path = ['params', ...e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))];
    if (e.keyword === 'required') return { field: [...path, String(e.params.missingProperty)].join('.'), text: 'is required' };
    if (e.keyword === 'additionalProperties') {
      return { field: [...path, String(e.params.additionalProperty)].join('.'), text: 'is not a param this handler takes' };
    }
    const description = (e.parentSchema as { description?: unknown } | undefined)?.description;
    if ((e.keyword === 'pattern' || e.keyword === 'format') && typeof description === 'string') return { field: path.join('.'), text: `must be ${description}` };
    return { field: path.join('.'), text: e.message ?? 'is not valid' };
  });
  return { field: described[0]?.field ?? 'params', message: described.map((d) => `${d.field}: ${d.text}`).join('; ') || 'params: are not valid' };
}

/** The JSON Schema of a zod params schema, as announced (input side: defaults are optional to send). */
export function paramsSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}
