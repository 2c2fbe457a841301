// The REST resources under /api/v1 (issue 9): each route names one contract method, and everything else about it
// (scope, input and output schemas, the OpenAPI document) follows from that method. A new route is one line here.
import type { MethodName } from '../contract/methods';

export type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** What a field of the assembled input names, by id or by name (resolved in names.ts). */
export type RefKind = 'group' | 'task';

export interface Route {
  verb: Verb;
  /** Below /api/v1, with `{param}` segments: each path param becomes the input field of the same name. */
  path: string;
  method: MethodName;
  /** 201 for a route that creates something, else 200. */
  status: 200 | 201;
  /** Where the JSON body goes in the method's input: merged at the top, or under one field (`patch`). */
  bodyAt: string | null;
  /** Fields of the assembled input that accept a name where the contract takes an id; `*` is every item of a list. */
  refs: Readonly<Record<string, RefKind>>;
}

/** Where a route's input comes from, by its verb: GET and DELETE take the query string, the others a JSON body. */
export function takesBody(verb: Verb): boolean {
  return verb === 'POST' || verb === 'PUT' || verb === 'PATCH';
}

function route(verb: Verb, path: string, method: MethodName, opts: Partial<Pick<Route, 'status' | 'bodyAt' | 'refs'>> = {}): Route {
  return { verb, path, method, status: opts.status ?? 200, bodyAt: opts.bodyAt ?? null, refs: opts.refs ?? {} };
}

const TASK = { id: 'task' } as const;
const GROUP = { id: 'group' } as const;
const IN_GROUP = { groupId: 'group' } as const;
const CREATED = { status: 201 } as const;

export const ROUTES: readonly Route[] = [
  route('GET', '/master', 'master.info'),
  route('GET', '/masters', 'masters.list'),

  route('GET', '/groups', 'groups.list'),
  route('POST', '/groups', 'groups.create', CREATED),
  route('PATCH', '/groups/{id}', 'groups.update', { refs: GROUP }),
  route('DELETE', '/groups/{id}', 'groups.delete', { refs: GROUP }),

  route('GET', '/workers', 'workers.list', { refs: IN_GROUP }),
  route('PUT', '/workers/{id}/status', 'workers.setStatus'),
  route('GET', '/workers/{id}', 'workers.get'),
  route('DELETE', '/workers/{id}', 'workers.delete'),

  route('GET', '/tasks', 'tasks.list', { refs: IN_GROUP }),
  route('POST', '/tasks', 'tasks.create', { ...CREATED, refs: { groupId: 'group', 'trigger.parents.*': 'task' } }),
  route('GET', '/tasks/{id}', 'tasks.get', { refs: TASK }),
  route('PATCH', '/tasks/{id}', 'tasks.update', { bodyAt: 'patch', refs: { id: 'task', 'patch.groupId': 'group', 'patch.trigger.parents.*': 'task' } }),
  route('DELETE', '/tasks/{id}', 'tasks.delete', { refs: TASK }),
  route('PUT', '/tasks/{id}/enabled', 'tasks.setEnabled', { refs: TASK }),
  route('POST', '/tasks/{id}/runs', 'tasks.trigger', { ...CREATED, refs: TASK }),

  route('GET', '/runs', 'runs.page', { refs: { taskId: 'task', groupId: 'group' } }),
  route('GET', '/runs/{id}', 'runs.get'),
  route('GET', '/runs/{id}/logs', 'runs.logs'),
  route('POST', '/runs/{id}/stop', 'runs.stop'),
  route('GET', '/runs/{id}/detail', 'runs.detail'),
  route('POST', '/runs/{id}/retry', 'runs.retry', CREATED),
  route('POST', '/triggers/preview', 'triggers.preview', { refs: { taskId: 'task' } }),
  route('GET', '/dashboard', 'dashboard.summary'),

  route('GET', '/tokens', 'tokens.list'),
  route('POST', '/tokens', 'tokens.create', CREATED),
  route('POST', '/tokens/{id}/revoke', 'tokens.revoke'),
  route('GET', '/enrolments', 'enrolments.list'),
  route('POST', '/enrolments', 'enrolments.create', { ...CREATED, refs: IN_GROUP }),
  route('POST', '/enrolments/{id}/revoke', 'enrolments.revoke'),
  route('GET', '/credentials', 'credentials.list'),
  route('POST', '/credentials/{id}/revoke', 'credentials.revoke'),

  route('GET', '/definitions', 'definitions.export'),
  route('POST', '/definitions/plan', 'definitions.plan'),
  route('POST', '/definitions/apply', 'definitions.apply'),

  route('GET', '/alerts/channels', 'alerts.channels.list'),
  route('POST', '/alerts/channels', 'alerts.channels.create', CREATED),
  route('PATCH', '/alerts/channels/{id}', 'alerts.channels.update', { bodyAt: 'patch' }),
  route('DELETE', '/alerts/channels/{id}', 'alerts.channels.delete'),
  route('POST', '/alerts/channels/{id}/test', 'alerts.channels.test'),
  route('GET', '/alerts/rules', 'alerts.rules.list'),
  route('POST', '/alerts/rules', 'alerts.rules.create', CREATED),
  route('PATCH', '/alerts/rules/{id}', 'alerts.rules.update', { bodyAt: 'patch' }),
  route('DELETE', '/alerts/rules/{id}', 'alerts.rules.delete'),
  route('GET', '/alerts/settings', 'alerts.settings.get'),
  route('PATCH', '/alerts/settings', 'alerts.settings.update'),
];

/**
 * Methods served only as RPC (`POST /api/<method>`), each with why. Every other method must have a route: a test
 * fails for a method that has neither, so a new method is never silently missing from /api/v1.
 */
export const RPC_ONLY: Readonly<Partial<Record<MethodName, string>>> = {
  'tasks.import': 'the baton/v1 definitions import (issue 9) replaces it; the console still calls it over RPC',
  'runs.list': 'the flat list of attempts; GET /runs pages root runs with their retries (runs.page), as the console does',
  'settings.get': 'the desktop app\'s own settings file, edited from its console; a headless master is set up by its environment',
  'settings.test': 'the desktop app\'s own settings file, edited from its console; a headless master is set up by its environment',
  'settings.save': 'the desktop app\'s own settings file, edited from its console; a headless master is set up by its environment',
};

/** The prefix of the REST resources. */
export const REST_PREFIX = '/api/v1';
/** Where the OpenAPI document is served, below REST_PREFIX. */
export const OPENAPI_PATH = '/openapi.json';
