// Cluster-wide maintenance on Agenda: durable, and run once across all masters thanks to Agenda's locking.
// Per-fire triggering does not go through Agenda: measured, one Agenda job per fire cannot keep up (DESIGN.md).
// Alert delivery (alerts/delivery.ts) shares this Agenda: it needs the same durability and once-only locking.
import { Agenda } from 'agenda';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { AlertDelivery, resolveAlertDelivery, type AlertDeliveryOptions } from '../alerts/delivery';
import { pruneRuns } from '../db/runs';
import type { Db } from '../db/store';
import type { Logger } from '../log';

export const PRUNE_RUNS_JOB = 'baton:prune-runs';
const PROCESS_EVERY_MS = 30_000;

export interface Housekeeping { agenda: Agenda; alerts: AlertDelivery; stop(): Promise<void> }

export async function startHousekeeping(
  db: Db,
  opts: { retentionDays: number; log: (msg: string, data?: object) => void; alerts: AlertDeliveryOptions & { log: Logger } },
): Promise<Housekeeping> {
  const backend = new PostgresBackend({ pool: db });
  const alertSettings = resolveAlertDelivery(opts.alerts);
  // New jobs wake Agenda at once, but a retry waits for the next scan: scan at least as often as alerts retry.
  const agenda = new Agenda({ backend, processEvery: Math.min(PROCESS_EVERY_MS, alertSettings.retry.delayMs) });
  // Its LISTEN connection re-emits errors (the server restarting) and reconnects by itself; unheard, the
  // re-emitted error would end the master.
  backend.notificationChannel?.on('error', (error: Error) => opts.log('housekeeping notification channel error', { error: error.message }));
  agenda.on('error', (error: Error) => opts.log('housekeeping error', { error: error.message }));
  agenda.define(PRUNE_RUNS_JOB, async () => {
    const removed = await pruneRuns(db, opts.retentionDays);
    opts.log('pruned finished runs past retention', { removed, retentionDays: opts.retentionDays });
  });
  const alerts = new AlertDelivery(agenda, alertSettings, opts.alerts.log);
  await agenda.start();
  await agenda.every('1 hour', PRUNE_RUNS_JOB);
  return {
    agenda, alerts,
    stop: async () => {
      await alerts.flush();
      await agenda.stop();
      alerts.close();
    },
  };
}
