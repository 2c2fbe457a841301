// A route's input for its contract method, assembled from the path params and either the query string (GET,
// DELETE) or the JSON body. Query values are text; each is coerced to the type the method's own schema gives its
// field (declared once, in the contract: nothing here knows runs.list's filters). Pure.
import { z } from 'zod';
import { methods, type MethodName } from '../contract/methods';
import type { WireError } from '../contract/errors';

type JsonSchema = { type?: string | string[]; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; items?: JsonSchema; properties?: Record<string, JsonSchema> };
export type Assembled = { ok: true; input: Record<string, unknown> } | { ok: false; error: WireError };

const schemas = new Map<MethodName, JsonSchema>();

/** The JSON Schema of a method's input as a client sends it (defaults make fields optional), computed once. */
export function inputSchema(method: MethodName): JsonSchema {
  let schema = schemas.get(method);
  if (!schema) {
    schema = z.toJSONSchema(methods[method].input, { io: 'input' }) as JsonSchema;
    schemas.set(method, schema);
  }
  return schema;
}

function typesOf(schema: JsonSchema | undefined): Set<string> {
  if (!schema) return new Set();
  const own = schema.type === undefined ? [] : [schema.type].flat();
  const inner = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].flatMap((s) => [...typesOf(s)]);
  return new Set([...own, ...inner]);
}

/** Text to the JSON type the field wants; text that is not one is left as it is, for the contract to refuse by name. */
function coerce(text: string, schema: JsonSchema | undefined): unknown {
  const types = typesOf(schema);
  if ((types.has('integer') || types.has('number')) && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (types.has('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  if (types.has('null') && text === 'null') return null;
  return text;
}

function bad(message: string, field?: string): Assembled {
  return { ok: false, error: { code: 'invalid_input', message, ...(field === undefined ? {} : { field }) } };
}

/** The query string as the method's input: a list field takes the key repeated, any other field it once. */
export function queryInput(method: MethodName, query: URLSearchParams): Assembled {
  const properties = inputSchema(method).properties ?? {};
  const input: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    const field = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (typesOf(field).has('array')) {
      input[key] = values.map((v) => coerce(v, field?.items));
    } else if (values.length > 1) {
      return bad(`${key}: is given ${values.length} times in the query string; give it once`, key);
    } else {
      input[key] = coerce(values[0]!, field);
    }
  }
  return { ok: true, input };
}

/** The body (already parsed JSON) as the method's input, under `bodyAt` when the route says so. */
export function bodyInput(body: unknown, bodyAt: string | null): Assembled {
  if (body === undefined) return { ok: true, input: bodyAt ? { [bodyAt]: {} } : {} };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('The request body must be a JSON object.');
  return { ok: true, input: bodyAt ? { [bodyAt]: body } : { ...body } };
}

/** Adds the path params; one also sent in the query or body is refused, so no input is silently overridden. */
export function withPathParams(assembled: Assembled, params: Record<string, string>): Assembled {
  if (!assembled.ok) return assembled;
  for (const name of Object.keys(params)) {
    if (Object.hasOwn(assembled.input, name)) return bad(`${name}: is given by the path; do not send it again`, name);
  }
  return { ok: true, input: { ...assembled.input, ...params } };
}
