// Whether a run that just ended sends an alert, and what the alert says: pure, over the task's rules and the run.
import { z } from 'zod';
import { AlertState, type AlertRules, type Run } from '../api/contract/domain';
import { assertNever } from '../assert-never';

/** What an alert tells, by email and as the webhook's JSON body; also the Agenda job's data, so parsed when read back. */
export const AlertEvent = z.object({
  /** One line an operator understands: "Task nightly-report failed on worker edge-1 after 3 attempts: exit code 2". */
  summary: z.string(),
  taskId: z.string(),
  taskName: z.string(),
  runId: z.string(),
  /** The first attempt's id; every attempt of this run links to it. */
  rootRunId: z.string(),
  attempt: z.number().int(),
  state: AlertState,
  reason: z.string().nullable(),
  error: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  workerId: z.string().nullable(),
  workerName: z.string().nullable(),
  plannedAt: z.string(),
  finishedAt: z.string().nullable(),
  traceId: z.string(),
  /** The end of the run's output: enough to see what went wrong without flooding an inbox. */
  outputTail: z.string(),
});
export type AlertEvent = z.infer<typeof AlertEvent>;

/** An alert to send: the event and where it goes (at least one of the two). */
export interface Alert { event: AlertEvent; email: string[]; webhook: string | null }

export const OUTPUT_TAIL_LINES = 20;
export const OUTPUT_TAIL_CHARS = 2_000;

/**
 * The alert for a run that just ended, or null. Only a final attempt counts: while a retry follows, the run
 * has not ended for the operator yet. Cancelled and skipped runs never alert: someone or something chose them.
 */
export function decideAlert(rules: AlertRules, run: Run, retryFollows: boolean): Alert | null {
  if (retryFollows) return null;
  const state = AlertState.safeParse(run.state);
  if (!state.success || !rules.on.includes(state.data)) return null;
  if (rules.email.length === 0 && rules.webhook === null) return null;
  return { event: alertEvent(run, state.data), email: rules.email, webhook: rules.webhook };
}

function alertEvent(run: Run, state: AlertState): AlertEvent {
  return {
    summary: summaryOf(run, state), taskId: run.taskId, taskName: run.taskName, runId: run.id, rootRunId: run.rootRunId,
    attempt: run.attempt, state, reason: run.reason, error: run.error, exitCode: run.exitCode, workerId: run.workerId,
    workerName: run.workerName, plannedAt: run.plannedAt, finishedAt: run.finishedAt, traceId: run.traceId,
    outputTail: outputTail(run.output),
  };
}

/** How the state reads after the task's name: "nightly-report timed out". */
export function endedAs(state: AlertState): string {
  switch (state) {
    case 'failed': return 'failed';
    case 'timed_out': return 'timed out';
    case 'lost': return 'was lost';
    case 'succeeded': return 'succeeded';
    default: return assertNever(state, 'alert state');
  }
}

export function summaryOf(run: Run, state: AlertState): string {
  const where = run.workerName ? ` on worker ${run.workerName}` : '';
  const tries = run.attempt > 1 ? ` after ${run.attempt} attempts` : '';
  const why = state === 'succeeded' ? null : causeOf(run);
  return `Task ${run.taskName} ${endedAs(state)}${where}${tries}${why ? `: ${why}` : ''}`;
}

/** The most telling cause: a non-zero exit code, else the error's first line, else the machine reason. */
function causeOf(run: Run): string | null {
  if (run.exitCode !== null && run.exitCode !== 0) return `exit code ${run.exitCode}`;
  const firstLine = run.error?.split('\n').find((line) => line.trim() !== '')?.trim();
  return firstLine || run.reason;
}

/** The last OUTPUT_TAIL_LINES lines, and at most OUTPUT_TAIL_CHARS characters of them. */
export function outputTail(output: string): string {
  const lines = output.replace(/\n+$/, '').split('\n');
  const tail = lines.slice(-OUTPUT_TAIL_LINES).join('\n');
  return tail.length > OUTPUT_TAIL_CHARS ? tail.slice(-OUTPUT_TAIL_CHARS) : tail;
}
