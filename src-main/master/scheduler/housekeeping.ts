// Cluster-wide maintenance on Agenda: durable, and run once across all masters thanks to Agenda's locking.
// Per-fire triggering does not go through Agenda: measured, one Agenda job per fire cannot keep up (DESIGN.md).
import { Agenda } from 'agenda';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { pruneRuns } from '../db/runs';
import type { Db } from '../db/store';

export const PRUNE_RUNS_JOB = 'baton:prune-runs';
const PROCESS_EVERY_MS = 30_000;

export interface Housekeeping { agenda: Agenda; stop(): Promise<void> }

export async function startHousekeeping(
  db: Db,
  opts: { retentionDays: number; log: (msg: string, data?: object) => void },
): Promise<Housekeeping> {
  const backend = new PostgresBackend({ pool: db });
  const agenda = new Agenda({ backend, processEvery: PROCESS_EVERY_MS });
  // Its LISTEN connection re-emits errors (the server restarting) and reconnects by itself; unheard, the
  // re-emitted error would end the master.
  backend.notificationChannel?.on('error', (error: Error) => opts.log('housekeeping notification channel error', { error: error.message }));
  agenda.on('error', (error: Error) => opts.log('housekeeping error', { error: error.message }));
  agenda.define(PRUNE_RUNS_JOB, async () => {
    const removed = await pruneRuns(db, opts.retentionDays);
    opts.log('pruned finished runs past retention', { removed, retentionDays: opts.retentionDays });
  });
  await agenda.start();
  await agenda.every('1 hour', PRUNE_RUNS_JOB);
  return {
    agenda,
    stop: () => agenda.stop(),
  };
}
