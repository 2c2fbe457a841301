// The REST layer's pure parts (issue 9): which route a path names, and how a route's input is assembled from the
// path, the query string and the body. The route table is checked against the contract it points into.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { bodyInput, inputSchema, queryInput, withPathParams } from '../../src-main/master/api/rest/input';
import { matchRoute } from '../../src-main/master/api/rest/match';
import { ROUTES, takesBody } from '../../src-main/master/api/rest/routes';

describe('matchRoute', () => {
  it.each([
    ['GET', '/tasks', 'tasks.list', {}],
    ['POST', '/tasks', 'tasks.create', {}],
    ['GET', '/tasks/nightly', 'tasks.get', { id: 'nightly' }],
    ['GET', '/tasks/a%2Fb%25c%20d', 'tasks.get', { id: 'a/b%c d' }],
    ['POST', '/tasks/tsk_1/runs', 'tasks.trigger', { id: 'tsk_1' }],
    ['GET', '/runs/run_1/logs', 'runs.logs', {}],
  ])('%s %s → %s', (verb, path, method, params) => {
    const match = matchRoute(verb, path);
    expect(match.ok && match.route !== 'openapi' && match.route.method).toBe(method);
    if (Object.keys(params).length > 0) expect(match.ok && match.params).toEqual(params);
  });

  it('serves the OpenAPI document on GET only', () => {
    expect(matchRoute('GET', '/openapi.json')).toMatchObject({ ok: true, route: 'openapi' });
    expect(matchRoute('POST', '/openapi.json')).toMatchObject({ ok: false, status: 405, allow: ['GET'] });
  });

  it.each([
    ['PUT', '/tasks', ['GET', 'POST']],
    ['POST', '/tasks/x', ['GET', 'PATCH', 'DELETE']],
    ['GET', '/runs/x/stop', ['POST']],
    ['HEAD', '/groups', ['GET', 'POST']],
  ])('%s %s → 405, Allow %j', (verb, path, allow) => {
    expect(matchRoute(verb, path)).toMatchObject({ ok: false, status: 405, allow });
  });

  it.each(['/nothing', '/tasks/', '//tasks', '/tasks/x/runs/y', '', 'tasks', '/tasks/%E0%A4%A', '/Tasks'])('%j → 404', (path) => {
    expect(matchRoute('GET', path)).toMatchObject({ ok: false, status: 404, message: expect.stringMatching(/openapi\.json/) });
  });
});

describe('route input', () => {
  it('query values take the type the method declares for them; text that is not one is left for the contract to refuse', () => {
    expect(queryInput('runs.list', new URLSearchParams('limit=20&state=failed&taskId=42'))).toEqual({ ok: true, input: { limit: 20, state: 'failed', taskId: '42' } });
    expect(queryInput('runs.logs', new URLSearchParams('afterSeq=-1&limit=2.5'))).toEqual({ ok: true, input: { afterSeq: -1, limit: 2.5 } });
    expect(queryInput('runs.list', new URLSearchParams('limit=ten&bogus=1'))).toEqual({ ok: true, input: { limit: 'ten', bogus: '1' } });
  });

  it('a query key given twice for a field that is not a list is refused, naming it', () => {
    expect(queryInput('runs.list', new URLSearchParams('state=failed&state=lost'))).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'state' } });
  });

  it('a body must be a JSON object; a route may put it under one field', () => {
    expect(bodyInput({ a: 1 }, null)).toEqual({ ok: true, input: { a: 1 } });
    expect(bodyInput({ a: 1 }, 'patch')).toEqual({ ok: true, input: { patch: { a: 1 } } });
    expect(bodyInput(undefined, null)).toEqual({ ok: true, input: {} });
    for (const bad of [[], null, 3, 'x']) expect(bodyInput(bad, null)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('a path param sent again in the body or query is refused, not overridden', () => {
    expect(withPathParams({ ok: true, input: { id: 'b' } }, { id: 'a' })).toMatchObject({ ok: false, error: { field: 'id' } });
    expect(withPathParams({ ok: true, input: { x: 1 } }, { id: 'a' })).toEqual({ ok: true, input: { x: 1, id: 'a' } });
  });
});

describe('the route table', () => {
  it('each route is unique, and its path params and named fields are fields of its method\'s input', () => {
    const seen = new Set<string>();
    for (const route of ROUTES) {
      const key = `${route.verb} ${route.path}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      const fields = Object.keys(inputSchema(route.method).properties ?? {});
      for (const [, param] of route.path.matchAll(/\{(\w+)\}/g)) expect(fields, `${key}: {${param}}`).toContain(param);
      for (const ref of Object.keys(route.refs)) expect(fields, `${key}: ${ref}`).toContain(ref.split('.')[0]);
      if (route.bodyAt) {
        expect(takesBody(route.verb), key).toBe(true);
        expect(fields, key).toContain(route.bodyAt);
      }
    }
  });
});

describe('the README', () => {
  it('lists every route', async () => {
    const readme = await readFile('README.md', 'utf8');
    const missing = ROUTES.map((r) => `${r.verb} /api/v1${r.path}`).filter((r) => !readme.includes(r));
    expect(missing).toEqual([]);
  });
});
