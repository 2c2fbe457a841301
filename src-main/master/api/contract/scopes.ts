// Which API key scope each method needs, declared once next to the contract. The HTTP door checks it before
// it reads a request's body; the desktop console's IPC is the operator at the machine and has every scope.
import type { MethodName } from './methods';

/** Scopes of API keys, each opening everything the one before it does, and more. */
export const API_SCOPES = ['read', 'operate', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** `operate` runs what exists (trigger, stop, enable/disable, drain); `admin` changes what exists and who may enter. */
export const METHOD_SCOPES: { readonly [M in MethodName]: ApiScope } = {
  'master.info': 'read',
  'groups.list': 'read',
  'groups.create': 'admin',
  'groups.update': 'admin',
  'groups.delete': 'admin',
  'workers.list': 'read',
  'workers.setStatus': 'operate',
  'tasks.list': 'read',
  'tasks.get': 'read',
  'tasks.create': 'admin',
  'tasks.update': 'admin',
  'tasks.delete': 'admin',
  'tasks.import': 'admin',
  'tasks.setEnabled': 'operate',
  'tasks.trigger': 'operate',
  'runs.list': 'read',
  'runs.get': 'read',
  'runs.logs': 'read',
  'runs.stop': 'operate',
  'tokens.list': 'admin',
  'tokens.create': 'admin',
  'tokens.revoke': 'admin',
  'enrolments.list': 'admin',
  'enrolments.create': 'admin',
  'enrolments.revoke': 'admin',
  'credentials.list': 'admin',
  'credentials.revoke': 'admin',
  'masters.list': 'read',
  // alerts (issue 10)
  'alerts.channels.list': 'read',
  'alerts.channels.create': 'admin',
  'alerts.channels.update': 'admin',
  'alerts.channels.delete': 'admin',
  'alerts.channels.test': 'operate',
  'alerts.rules.list': 'read',
  'alerts.rules.create': 'admin',
  'alerts.rules.update': 'admin',
  'alerts.rules.delete': 'admin',
  'alerts.settings.get': 'read',
  'alerts.settings.update': 'admin',
  // definitions (issue 9)
  'definitions.export': 'read',
  'definitions.plan': 'read',
  'definitions.apply': 'admin',
  // runs (issue 8)
  'runs.page': 'read',
  'runs.detail': 'read',
  'runs.retry': 'operate',
  // tasks (issue 8)
  'triggers.preview': 'read',
  // Workers pages and dashboard (issue 8)
  'workers.get': 'read',
  'workers.delete': 'admin',
  'dashboard.summary': 'read',
  // shell (issue 8)
  'settings.get': 'admin',
  'settings.test': 'admin',
  'settings.save': 'admin',
};

/** Whether a key of scope `held` may call a method that needs `needed`. */
export function scopeAllows(held: ApiScope, needed: ApiScope): boolean {
  return API_SCOPES.indexOf(held) >= API_SCOPES.indexOf(needed);
}
