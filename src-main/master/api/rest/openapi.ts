// The OpenAPI 3.1 document of /api/v1, generated from the route table and the contract's zod schemas (zod's own
// JSON Schema output), so it cannot drift from what the master accepts and answers. Built once, on first request.
import { z } from 'zod';
import { ERROR_CODES, type WireError } from '../contract/errors';
import { methods } from '../contract/methods';
import { METHOD_SCOPES } from '../contract/scopes';
import { inputSchema } from './input';
import { OPENAPI_PATH, REST_PREFIX, ROUTES, takesBody, type Route } from './routes';

/** An OpenAPI object (operation, parameter, response...). */
type Doc = Record<string, unknown>;
/** A JSON Schema, as zod writes them. */
type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; required?: string[]; anyOf?: Schema[]; oneOf?: Schema[]; items?: Schema };

/** Every refusal, over RPC and REST alike. Typed against WireError, so the two cannot differ. */
const ErrorReply: z.ZodType<{ ok: false; error: WireError }> = z.object({
  ok: z.literal(false),
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string().describe('What is wrong and how to fix it.'),
    field: z.string().optional().describe('The input field at fault, dotted (`patch.trigger.expression`).'),
    data: z.unknown().optional(),
  }),
});

/** The statuses a refusal may have, with what each means here. */
const REFUSALS: Record<string, string> = {
  400: 'Bad input (`invalid_input`): the field at fault is named.',
  401: 'No API key, or one unknown or revoked (`unauthorized`).',
  403: 'The key lacks the scope this route needs, or the Host or Origin is not this master (`forbidden`).',
  404: 'No such route, or no such group, task, run... (`not_found`).',
  405: 'The path exists but not with this HTTP method; `Allow` names the ones it has.',
  409: 'A name taken, a task other tasks depend on, no eligible worker... (`conflict`, `no_worker`).',
  413: 'The body is larger than 2 MB.',
  415: 'A body that is not `application/json`.',
  503: 'The database or the leader cannot be reached (`unavailable`, `not_leader`); try again shortly.',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Schema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io }) as Schema;
  return rest;
}

/** The schema at a dotted path (`*`: list items), through every variant of a union, widened to take a name too. */
function acceptNames(schema: Schema, path: readonly string[]): Schema {
  if (path.length === 0) {
    return { type: 'string', minLength: 1, maxLength: 128, description: 'An id, or a name (a value shaped like an id is taken as an id).' };
  }
  const [head, ...rest] = path as [string, ...string[]];
  const out: Schema = { ...schema };
  if (schema.anyOf) out.anyOf = schema.anyOf.map((s) => acceptNames(s, path));
  if (schema.oneOf) out.oneOf = schema.oneOf.map((s) => acceptNames(s, path));
  if (head === '*' && schema.items) out.items = acceptNames(schema.items, rest);
  if (head !== '*' && schema.properties?.[head]) out.properties = { ...schema.properties, [head]: acceptNames(schema.properties[head], rest) };
  return out;
}

/** The method's input with names accepted where the route resolves them. */
function routeInput(route: Route): Schema {
  const { $schema: _dialect, ...input } = inputSchema(route.method) as Schema;
  return Object.keys(route.refs).reduce((s, path) => acceptNames(s, path.split('.')), input);
}

function pathParams(route: Route): string[] {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

function without(schema: Schema, names: readonly string[]): Schema {
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([k]) => !names.includes(k)));
  const required = (schema.required ?? []).filter((k) => !names.includes(k));
  return { ...schema, properties, ...(required.length > 0 ? { required } : { required: undefined }) };
}

function parameters(route: Route, input: Schema): Doc[] {
  const inPath = pathParams(route);
  const path = inPath.map((name) => ({ name, in: 'path', required: true, schema: input.properties?.[name] ?? { type: 'string' } }));
  if (takesBody(route.verb)) return path;
  const query = Object.entries(without(input, inPath).properties ?? {}).map(([name, schema]) => ({
    name, in: 'query', required: (input.required ?? []).includes(name), schema,
  }));
  return [...path, ...query];
}

function requestBody(route: Route, input: Schema): Doc | undefined {
  if (!takesBody(route.verb)) return undefined;
  const rest = without(input, pathParams(route));
  const schema = route.bodyAt ? rest.properties?.[route.bodyAt] ?? {} : JSON.parse(JSON.stringify(rest)) as Schema;
  const required = (rest.required ?? []).length > 0;
  return { required, content: { 'application/json': { schema } } };
}

function okReply(value: Schema, description: string): Doc {
  return {
    description,
    content: { 'application/json': { schema: { type: 'object', properties: { ok: { const: true }, value }, required: ['ok', 'value'] } } },
  };
}

function refusals(): Record<string, Doc> {
  return Object.fromEntries(Object.keys(REFUSALS).map((status) => [status, { $ref: `#/components/responses/Refused${status}` }]));
}

function operation(route: Route): Doc {
  const input = routeInput(route);
  const scope = METHOD_SCOPES[route.method];
  return {
    operationId: route.method,
    summary: `${route.method} (scope ${scope})`,
    description: `Calls the contract method \`${route.method}\`, also served as \`POST /api/${route.method}\`. Needs an API key of scope \`${scope}\` or above.`,
    'x-baton-method': route.method,
    'x-baton-scope': scope,
    parameters: parameters(route, input),
    requestBody: requestBody(route, input),
    responses: { [route.status]: okReply(jsonSchema(methods[route.method].output, 'output'), route.status === 201 ? 'Created.' : 'Done.'), ...refusals() },
  };
}

function build(): Doc {
  const paths: Record<string, Record<string, Doc>> = {
    [REST_PREFIX + OPENAPI_PATH]: {
      get: {
        operationId: 'openapi', summary: 'This document (scope read)', 'x-baton-scope': 'read',
        responses: { 200: { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } }, ...refusals() },
      },
    },
  };
  for (const route of ROUTES) {
    const at = (paths[REST_PREFIX + route.path] ??= {});
    at[route.verb.toLowerCase()] = JSON.parse(JSON.stringify(operation(route))) as Doc;
  }
  const error = { description: '', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorReply' } } } };
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Baton master API', version: 'v1',
      description: 'REST resources generated from the one zod contract (src-main/master/api/contract). Every answer is '
        + '`{ "ok": true, "value": … }` or `{ "ok": false, "error": { code, message, field? } }`. Where an id of a group or a '
        + 'task is expected, its name is accepted too.',
    },
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (`bt_tok_…`) of scope read, operate or admin: `baton-master token create`.' },
      },
      schemas: { ErrorReply: jsonSchema(ErrorReply, 'output') },
      responses: Object.fromEntries(Object.entries(REFUSALS).map(([status, description]) => [`Refused${status}`, { ...error, description }])),
    },
  };
}

let document: Doc | null = null;

/** The document; the same object on every call. */
export function openApiDocument(): Doc {
  document ??= build();
  return document;
}
