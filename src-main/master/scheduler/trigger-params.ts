// Which params a `tasks.trigger` call may set (issue 7, finding 6): only those the task declares, with their
// types, and never the handler's own (`command`, `url`, `module`, ...), so triggering a task cannot change what it runs.
import type { JsonSchema } from 'baton-agent/protocol';
import { BatonError } from '../api/contract/errors';
import { builtinSchema } from '../handlers/catalogue';
import { assertNever } from '../assert-never';
import type { TriggerParamDecl, TriggerParams } from '../api/contract/domain';

/**
 * The params a handler reads itself: the properties its params schema names, as its agents announced it (a
 * free-form schema, like noop's, names none). `schema` defaults to the built-in handler's.
 */
export function ownParams(handler: string, schema: JsonSchema | null = builtinSchema(handler)): readonly string[] {
  const properties = schema?.properties;
  return typeof properties === 'object' && properties !== null ? Object.keys(properties) : [];
}

/** The shell variable a param reaches the command as; two names with the same variable would overwrite each other. */
export function paramVariable(name: string): string {
  return `BATON_PARAM_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

const invalid = (field: string, message: string) => new BatonError('invalid_input', `${field}: ${message}`, field);

/** Whether a task may declare these trigger params: none is its handler's own, and its handler takes extra params at all. */
export function checkTriggerDecls(handler: string, declared: TriggerParams, schema = builtinSchema(handler)): BatonError | null {
  const own = ownParams(handler, schema);
  const variables = new Map<string, string>();
  for (const name of Object.keys(declared)) {
    const field = `triggerParams.${name}`;
    if (own.includes(name)) return invalid(field, `is a param of the ${handler} handler itself; a trigger may never set it (the handler's own params: ${own.join(', ')}).`);
    // A strict handler schema (http, js) refuses any param it does not know, so the declared one could never reach it.
    if (schema?.additionalProperties === false) return invalid(field, `the ${handler} handler takes no params besides ${own.join(', ')}, so a trigger has nothing to set.`);
    const variable = paramVariable(name);
    const clash = variables.get(variable);
    if (clash !== undefined) return invalid(field, `reaches the command as ${variable}, like ${clash}; rename one of them.`);
    variables.set(variable, name);
  }
  return null;
}

/**
 * Whether a trigger call may pass `given`: every key declared by the task, of its declared type, none the
 * handler's own, and every required one present. The first problem names the field as sent (`params.<key>`).
 */
export function checkTriggerParams(
  handler: string, declared: TriggerParams, given: Record<string, unknown>, schema = builtinSchema(handler),
): BatonError | null {
  const own = ownParams(handler, schema);
  const names = Object.keys(declared);
  for (const [key, value] of Object.entries(given)) {
    const field = `params.${key}`;
    if (own.includes(key)) return invalid(field, `is a param of the ${handler} handler itself; a trigger may not change it.`);
    const decl = Object.hasOwn(declared, key) ? declared[key] : undefined;
    if (!decl) {
      const known = names.length > 0 ? `it declares ${names.join(', ')}` : 'it declares none (see triggerParams)';
      return invalid(field, `is not a param this task lets a trigger set; ${known}.`);
    }
    const problem = valueProblem(decl, value);
    if (problem) return invalid(field, problem);
  }
  const missing = names.find((name) => declared[name]!.required && !Object.hasOwn(given, name));
  return missing === undefined ? null : invalid(`params.${missing}`, 'is required by this task.');
}

function valueProblem(decl: TriggerParamDecl, value: unknown): string | null {
  switch (decl.type) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string.';
      return decl.maxLength !== undefined && value.length > decl.maxLength ? `must be at most ${decl.maxLength} characters.` : null;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number.';
    case 'integer':
      return Number.isSafeInteger(value) ? null : 'must be a whole number.';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false.';
    default:
      return assertNever(decl.type, 'trigger param type');
  }
}
