// What the API handlers may use: the store and the running parts of one master.
import type { Task } from './api/contract/domain';
import type { MethodOutput } from './api/contract/methods';
import type { AgentRegistry } from './agents/registry';
import type { AlertDelivery } from './alerts/delivery';
import type { Db } from './db/store';
import type { Dispatcher } from './dispatch/dispatcher';
import type { RunEndings } from './dispatch/endings';
import type { Logger } from './log';
import type { SettingsPort } from './settings/desktop-settings';
import type { OutboundRules } from 'baton-agent/outbound';

export interface MasterContext {
  db: Db;
  log: Logger;
  registry: AgentRegistry;
  dispatcher: Dispatcher;
  endings: RunEndings;
  info(): MethodOutput<'master.info'>;
  /** A task was stored or deleted: caches and timers must follow. */
  taskChanged(task: Task | { id: string; deleted: true }): void;
  /** Where alert webhooks and `http` tasks may point beyond the outbound guard's default (BATON_OUTBOUND_ALLOW). */
  outbound: OutboundRules;
  /** Alert channels' test sends, and rule changes the outbox must see (issue 10). */
  alerts: AlertDelivery;
  /** The desktop app's settings file; null on a headless master. */
  settings: SettingsPort | null;
}
