// Which handlers a group's tasks may name and what params each takes: the built-ins (known to every master before
// any agent connected, by the same schemas agents announce) and whatever the group's agents announced (issue 9).
// Pure: the store loads the announced entries.
import { BUILTIN_PARAMS_SCHEMAS, compileParamsSchema, type JsonSchema } from 'baton-agent/protocol';
import { BatonError } from '../api/contract/errors';

/** A handler some agent of a group offered: its params schema (null: an agent that did not say) and when. */
export interface AnnouncedHandler {
  name: string;
  schema: JsonSchema | null;
  offeredBy: string;
  lastSeenAt: string;
}

/** Handler name → its params schema (null: any params object). */
export type Catalogue = ReadonlyMap<string, JsonSchema | null>;

/** The built-ins, then what the group's agents announced; an agent's own schema wins (it is the one that runs it). */
export function catalogueOf(announced: readonly Pick<AnnouncedHandler, 'name' | 'schema'>[]): Catalogue {
  const catalogue = new Map<string, JsonSchema | null>(Object.entries(BUILTIN_PARAMS_SCHEMAS));
  for (const { name, schema } of announced) {
    if (schema !== null || !catalogue.has(name)) catalogue.set(name, schema);
  }
  return catalogue;
}

/** The schema of a built-in handler; null for any other name. */
export function builtinSchema(handler: string): JsonSchema | null {
  return Object.hasOwn(BUILTIN_PARAMS_SCHEMAS, handler) ? BUILTIN_PARAMS_SCHEMAS[handler as keyof typeof BUILTIN_PARAMS_SCHEMAS] : null;
}

/** The handler must be one the group's agents offer (or a built-in), and its params must match its schema. */
export function checkHandlerParams(handler: string, params: Record<string, unknown>, catalogue: Catalogue): BatonError | null {
  if (!catalogue.has(handler)) {
    const offered = [...catalogue.keys()].join(', ');
    return new BatonError('invalid_input', `handler: "${handler}" is not a handler this group's agents offer (${offered}).`, 'handler');
  }
  const schema = catalogue.get(handler) ?? null;
  if (schema === null) return null;
  const compiled = compileParamsSchema(schema);
  // Schemas are checked when an agent announces them; one that no longer compiles is the master's bug, not the task's.
  if (!compiled.ok) throw new Error(`the stored params schema of handler "${handler}" does not compile: ${compiled.message}`);
  const verdict = compiled.check(params);
  return verdict.ok ? null : new BatonError('invalid_input', `${verdict.message}.`, verdict.field);
}

/** The first announced schema that is not a usable params schema, as a hello refusal message; null when all are. */
export function announcedSchemaProblem(handlerParams: Readonly<Record<string, JsonSchema>>): string | null {
  for (const [name, schema] of Object.entries(handlerParams)) {
    const compiled = compileParamsSchema(schema);
    if (!compiled.ok) return `auth.handlerParams.${name}: ${compiled.message}`;
  }
  return null;
}
