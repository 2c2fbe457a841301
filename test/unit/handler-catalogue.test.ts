// What a group's tasks may run (issue 9): built-ins on a fresh master, and whatever the group's agents announced,
// each with params checked against the schema the agent announced; bad announced schemas are refused.
import { describe, expect, it } from 'vitest';
import { SCHEMA_MAX_CHARS } from 'baton-agent/protocol';
import { announcedSchemaProblem, catalogueOf, checkHandlerParams } from '../../src-main/master/handlers/catalogue';
import { checkTriggerDecls, checkTriggerParams } from '../../src-main/master/scheduler/trigger-params';

const RESIZE = {
  type: 'object', properties: { width: { type: 'integer', minimum: 1 }, path: { type: 'string' } },
  required: ['width'], additionalProperties: false,
};
const fresh = catalogueOf([]);
const group = catalogueOf([{ name: 'resize', schema: RESIZE }, { name: 'legacy', schema: null }]);

describe('handler catalogue', () => {
  it('knows the built-ins before any agent connected, by the schemas agents announce', () => {
    expect(checkHandlerParams('shell', { command: 'true' }, fresh)).toBeNull();
    expect(checkHandlerParams('http', { url: 'https://example.com/x', method: 'POST' }, fresh)).toBeNull();
    expect(checkHandlerParams('js', { module: 'C:\\jobs\\a.mjs' }, fresh)).toBeNull();
    expect(checkHandlerParams('noop', { anything: [1] }, fresh)).toBeNull();
  });

  it.each([
    ['shell', {}, 'params.command', 'params.command: is required.'],
    ['shell', { command: '' }, 'params.command', 'params.command: must NOT have fewer than 1 characters.'],
    ['http', { url: 'ftp://example.com' }, 'params.url', 'params.url: must be an http(s) URL.'],
    ['http', { url: 'https://example.com', method: 'get' }, 'params.method', 'params.method: must be an upper-case HTTP method.'],
    ['http', { url: 'https://example.com', verb: 'GET' }, 'params.verb', 'params.verb: is not a param this handler takes.'],
    ['js', { module: './relative.mjs' }, 'params.module', 'params.module: must be an absolute path or a file: URL.'],
  ])('refuses bad params of built-in %s naming the field', (handler, params, field, message) => {
    expect(checkHandlerParams(handler, params, fresh)).toMatchObject({ code: 'invalid_input', field, message });
  });

  it('accepts a handler the group\'s agents announced, checking params with its schema', () => {
    expect(checkHandlerParams('resize', { width: 10 }, group)).toBeNull();
    expect(checkHandlerParams('resize', { width: 'wide' }, group)).toMatchObject({ field: 'params.width', message: 'params.width: must be integer.' });
    // Announced without a schema (an older agent): any params object.
    expect(checkHandlerParams('legacy', { x: 1 }, group)).toBeNull();
  });

  it('refuses an unknown handler, naming what the group offers', () => {
    expect(checkHandlerParams('resize', { width: 1 }, fresh)).toMatchObject({ field: 'handler', message: expect.stringContaining('"resize" is not a handler') });
    expect(checkHandlerParams('ftp', {}, group)?.message).toBe(
      'handler: "ftp" is not a handler this group\'s agents offer (shell, http, js, noop, sharding-demo, resize, legacy).',
    );
  });

  it('derives which params a trigger may never set from the announced schema', () => {
    const schema = group.get('resize') ?? null;
    expect(checkTriggerDecls('resize', { width: { type: 'integer', required: false } }, schema)?.field).toBe('triggerParams.width');
    expect(checkTriggerDecls('resize', { region: { type: 'string', required: false } }, schema)?.message).toMatch(/takes no params besides width, path/);
    expect(checkTriggerParams('resize', {}, { path: '/etc/passwd' }, schema)?.field).toBe('params.path');
  });

  it.each([
    [{ type: 'objekt' }, 'auth.handlerParams.bad: must describe an object of params (type: "object")'],
    [[], 'auth.handlerParams.bad: must be a JSON Schema object'],
    [{ type: 'object', properties: { a: { type: 'string', format: 'no-such-format' } } }, expect.stringMatching(/^auth\.handlerParams\.bad: is not a valid JSON Schema: unknown format "no-such-format"/)],
    [{ type: 'object', $schema: 'http://json-schema.org/draft-07/schema#' }, expect.stringMatching(/only JSON Schema 2020-12/)],
    [{ type: 'object', description: 'x'.repeat(SCHEMA_MAX_CHARS) }, `auth.handlerParams.bad: is larger than ${SCHEMA_MAX_CHARS} characters as JSON`],
    [{ type: 'object', properties: nested(40) }, 'auth.handlerParams.bad: is nested deeper than 32 levels'],
  ])('refuses an announced schema it cannot use (%#)', (schema, message) => {
    expect(announcedSchemaProblem({ good: RESIZE, bad: schema as Record<string, unknown> })).toEqual(message);
  });
});

function nested(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < depth; i++) node = { a: { type: 'object', properties: node } };
  return node;
}
