// Cluster-wide maintenance on Agenda: durable, and run once across all masters thanks to Agenda's locking.
// Per-fire triggering does not go through Agenda: measured, one Agenda job per fire cannot keep up (DESIGN.md).
import { Agenda } from 'agenda';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { pruneRuns } from '../db/retention';
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
  // Stopping the master ends a prune between two batches instead of waiting out a backlog.
  const stopping = new AbortController();
  // Its LISTEN connection re-emits errors (the server restarting) and reconnects by itself; unheard, the
  // re-emitted error would end the master.
  backend.notificationChannel?.on('error', (error: Error) => opts.log('housekeeping notification channel error', { error: error.message }));
  agenda.on('error', (error: Error) => opts.log('housekeeping error', { error: error.message }));
  agenda.define(PRUNE_RUNS_JOB, async () => {
    const outcome = await pruneRuns(db, { retentionDays: opts.retentionDays, now: new Date(), signal: stopping.signal });
    // Agenda's job lock can lapse during a long prune; the database lock keeps a second master out.
    if (outcome.kind === 'busy') opts.log('run pruning skipped: another master is pruning');
    else opts.log('pruned finished runs past retention', { ...outcome, retentionDays: opts.retentionDays });
  });
  await agenda.start();
  await agenda.every('1 hour', PRUNE_RUNS_JOB);
  return {
    agenda,
    stop: () => {
      stopping.abort();
      return agenda.stop();
    },
  };
}
