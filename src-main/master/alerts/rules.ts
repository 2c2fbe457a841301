// What happened (an alert event) and who hears of it (the rules that match it): pure, over plain data.
import { z } from 'zod';
import { AlertReason, type AlertChannelInput, type AlertRule, type AlertScope } from '../api/contract/alerts';
import type { AlertRules, Run, Task, Worker } from '../api/contract/domain';
import type { SkippedFires } from '../scheduler/misfire';

/** One thing that happened, as stored in the outbox (so parsed when read back) and as told in a message. */
export const AlertEvent = z.object({
  reason: AlertReason,
  at: z.string(),
  /** What the storm window groups on with the reason: a task, a worker or a channel id. */
  subject: z.string(),
  /** One line an operator understands: "Task nightly-report failed on worker edge-1 after 3 attempts: exit code 2". */
  summary: z.string(),
  taskId: z.string().nullable(),
  taskName: z.string().nullable(),
  groupId: z.string().nullable(),
  runId: z.string().nullable(),
  rootRunId: z.string().nullable(),
  attempt: z.number().int().nullable(),
  state: z.string().nullable(),
  /** No retry follows this attempt. */
  final: z.boolean(),
  workerId: z.string().nullable(),
  workerName: z.string().nullable(),
  error: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  traceId: z.string().nullable(),
  /** The end of the run's output: enough to see what went wrong without flooding a chat. */
  outputTail: z.string(),
  /** queue_wait: how long the run waited for a worker. */
  waitedMs: z.number().int().nullable(),
  /** channel_failing: the channel that fails. */
  channelName: z.string().nullable(),
  /** misfired: the fires the policy dropped. Absent in rows written before it existed, hence the default. */
  skipped: z.object({ count: z.number().int(), atLeast: z.boolean(), firstAt: z.string(), lastAt: z.string() }).nullable().default(null),
});
export type AlertEvent = z.infer<typeof AlertEvent>;

export const OUTPUT_TAIL_LINES = 20;
export const OUTPUT_TAIL_CHARS = 2_000;

const BLANK: Omit<AlertEvent, 'reason' | 'at' | 'subject' | 'summary'> = {
  taskId: null, taskName: null, groupId: null, runId: null, rootRunId: null, attempt: null, state: null, final: true,
  workerId: null, workerName: null, error: null, exitCode: null, traceId: null, outputTail: '', waitedMs: null, channelName: null, skipped: null,
};

const BY_STATE: Partial<Record<Run['state'], AlertReason>> = {
  failed: 'run_failed', timed_out: 'run_timed_out', lost: 'run_lost', succeeded: 'run_succeeded',
};

/**
 * The events an ended attempt may raise: how it ended (cancelled and skipped runs raise none: someone or something
 * chose them), whether it was a caught-up misfire, and how long it waited in the queue (rules compare their own limit).
 */
export function runEvents(run: Run, groupId: string, final: boolean): AlertEvent[] {
  const at = run.finishedAt ?? run.plannedAt;
  const base = {
    ...BLANK, at, subject: run.taskId, taskId: run.taskId, taskName: run.taskName, groupId, runId: run.id, rootRunId: run.rootRunId,
    attempt: run.attempt, state: run.state, final, workerId: run.workerId, workerName: run.workerName, error: run.error,
    exitCode: run.exitCode, traceId: run.traceId, outputTail: outputTail(run.output),
  };
  const events: AlertEvent[] = [];
  const reason = BY_STATE[run.state];
  if (reason) events.push({ ...base, reason, summary: summaryOf(run, reason) });
  if (run.trigger === 'misfire') {
    events.push({ ...base, reason: 'misfired', summary: `Task ${run.taskName} ran late for its fire of ${run.plannedAt} (misfire policy)` });
  }
  const waitedMs = queueWait(run);
  if (waitedMs !== null) {
    events.push({ ...base, reason: 'queue_wait', waitedMs, summary: `Run of task ${run.taskName} waited ${Math.round(waitedMs / 1000)} s for a worker` });
  }
  return events;
}

/** From queued to taken by a worker, or to its end when none took it. */
function queueWait(run: Run): number | null {
  if (!run.queuedAt) return null;
  const until = run.assignedAt ?? run.finishedAt;
  return until ? Math.max(0, Date.parse(until) - Date.parse(run.queuedAt)) : null;
}

/**
 * The misfire policy dropped fires (the master was down or late): one event with how many and the first and last
 * planned time. Fires it replayed raise their own event when their run ends (runEvents).
 */
export function skippedEvent(task: Pick<Task, 'id' | 'name' | 'groupId' | 'misfire'>, fires: SkippedFires, now: number): AlertEvent {
  const [firstAt, lastAt] = [new Date(fires.firstAt).toISOString(), new Date(fires.lastAt).toISOString()];
  const count = `${fires.atLeast ? 'at least ' : ''}${fires.count} fire${fires.count === 1 && !fires.atLeast ? '' : 's'}`;
  const span = firstAt === lastAt ? `planned at ${firstAt}` : `planned from ${firstAt} to ${lastAt}`;
  return {
    ...BLANK, reason: 'misfired', at: new Date(now).toISOString(), subject: task.id, taskId: task.id, taskName: task.name, groupId: task.groupId,
    skipped: { count: fires.count, atLeast: fires.atLeast, firstAt, lastAt },
    summary: `Task ${task.name} skipped ${count} ${span} (misfire policy ${task.misfire.policy})`,
  };
}

/** A run still waiting in the queue, as the leader's scan reads it. */
export interface WaitingRun {
  id: string; taskId: string; taskName: string; groupId: string; rootRunId: string; attempt: number; traceId: string; queuedAt: string;
}

/**
 * queue_wait while the run still waits (issue 10): raised on every look, the rules keep those past their limit, and
 * the outbox keeps one per run and channel (so neither the next look nor the run's end tells it twice).
 */
export function waitingEvent(run: WaitingRun, now: number): AlertEvent {
  const waitedMs = Math.max(0, now - Date.parse(run.queuedAt));
  return {
    ...BLANK, reason: 'queue_wait', at: new Date(now).toISOString(), subject: run.taskId, taskId: run.taskId, taskName: run.taskName,
    groupId: run.groupId, runId: run.id, rootRunId: run.rootRunId, attempt: run.attempt, state: 'queued', final: false,
    traceId: run.traceId, waitedMs,
    summary: `Run of task ${run.taskName} has waited ${Math.round(waitedMs / 1000)} s for a worker and still waits`,
  };
}

export function workerEvent(worker: Pick<Worker, 'id' | 'name' | 'groupId' | 'host'>, reason: 'worker_offline' | 'worker_online', now: number): AlertEvent {
  const what = reason === 'worker_offline' ? 'went offline' : 'is back online';
  return {
    ...BLANK, reason, at: new Date(now).toISOString(), subject: worker.id, groupId: worker.groupId, workerId: worker.id,
    workerName: worker.name, summary: `Worker ${worker.name} (${worker.host}) ${what}`,
  };
}

export function channelFailingEvent(channel: { id: string; name: string }, error: string, now: number): AlertEvent {
  return {
    ...BLANK, reason: 'channel_failing', at: new Date(now).toISOString(), subject: channel.id, channelName: channel.name, error,
    summary: `Alert channel ${channel.name} fails: ${error}`,
  };
}

/** What a channel's "send test" sends: an event like any other, about no task. */
export function testEvent(channel: { id: string; name: string }, now: number): AlertEvent {
  return { ...BLANK, reason: 'run_succeeded', at: new Date(now).toISOString(), subject: `test:${channel.id}`, summary: `Test message from Baton to alert channel ${channel.name}` };
}

/** The names of the channels that hear of this event. A failing channel is never told about itself. */
export function matchChannels(rules: readonly AlertRule[], event: AlertEvent): string[] {
  const names = new Set(rules.filter((rule) => applies(rule, event)).flatMap((rule) => rule.channels));
  if (event.channelName) names.delete(event.channelName);
  return [...names];
}

const PER_ATTEMPT: readonly AlertReason[] = ['run_failed', 'run_timed_out', 'run_lost'];

function applies(rule: AlertRule, event: AlertEvent): boolean {
  if (!rule.enabled || !rule.on.includes(event.reason) || !inScope(rule.scope, event)) return false;
  if (PER_ATTEMPT.includes(event.reason) && rule.attempts === 'final' && !event.final) return false;
  if (event.reason === 'queue_wait' && (event.waitedMs ?? 0) < rule.queueWaitMs) return false;
  return true;
}

function inScope(scope: AlertScope, event: AlertEvent): boolean {
  switch (scope.type) {
    case 'all': return true;
    case 'group': return event.groupId === scope.groupId;
    case 'task': return event.taskId === scope.taskId;
  }
}

/**
 * A task's own settings (email addresses and a webhook on the task, the form before channels existed) still alert:
 * as channels under fixed names, on the final attempt of the states they name.
 */
export function taskChannels(taskId: string, settings: AlertRules, event: AlertEvent): Array<AlertChannelInput & { name: string }> {
  const named = settings.on.some((state) => BY_STATE[state] === event.reason);
  if (!named || !event.final) return [];
  return [
    ...(settings.email.length > 0 ? [{ kind: 'email' as const, name: `task-${taskId}-email`, to: settings.email }] : []),
    ...(settings.webhook !== null ? [{ kind: 'webhook' as const, name: `task-${taskId}-webhook`, url: settings.webhook }] : []),
  ];
}

/** How the reason reads after the task's name: "nightly-report timed out". */
export function endedAs(reason: AlertReason): string {
  switch (reason) {
    case 'run_failed': return 'failed';
    case 'run_timed_out': return 'timed out';
    case 'run_lost': return 'was lost';
    case 'run_succeeded': return 'succeeded';
    case 'misfired': return 'misfired';
    case 'queue_wait': return 'waited in the queue';
    case 'worker_offline': return 'went offline';
    case 'worker_online': return 'is back online';
    case 'channel_failing': return 'fails to deliver';
  }
}

export function summaryOf(run: Run, reason: AlertReason): string {
  const where = run.workerName ? ` on worker ${run.workerName}` : '';
  const tries = run.attempt > 1 ? ` after ${run.attempt} attempts` : '';
  const why = reason === 'run_succeeded' ? null : causeOf(run);
  return `Task ${run.taskName} ${endedAs(reason)}${where}${tries}${why ? `: ${why}` : ''}`;
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

/** Workers whose status crossed between offline and not offline since the last look; the first look only sets the baseline. */
export function presenceChanges(before: ReadonlyMap<string, boolean> | null, workers: ReadonlyArray<Pick<Worker, 'id' | 'status'>>): Array<{ id: string; reason: 'worker_offline' | 'worker_online' }> {
  if (before === null) return [];
  return workers.flatMap((w) => {
    const online = w.status !== 'offline';
    const was = before.get(w.id);
    if (was === undefined || was === online) return [];
    return [{ id: w.id, reason: online ? 'worker_online' as const : 'worker_offline' as const }];
  });
}
