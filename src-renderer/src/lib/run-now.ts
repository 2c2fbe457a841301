// Run now (issue 8, item 9): the params form's values as the API takes them, and honest words for what happened.
import type { Run, Task, TriggerParamDecl, Worker } from '@contract';
import { duration } from './time';

/** Declared params as the form holds them: text boxes, and '' / 'true' / 'false' for booleans. */
export type ParamValues = Record<string, string>;

/** The params to send: empty boxes are left out (the task's own value, if any, is the default). */
export function paramsToSend(decls: Record<string, TriggerParamDecl>, values: ParamValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(decls)) {
    const text = (values[name] ?? '').trim();
    if (text === '') continue;
    // A number box holding words is sent as it is: the master names the param and says what it must be.
    if (decl.type === 'number' || decl.type === 'integer') out[name] = Number.isNaN(Number(text)) ? text : Number(text);
    else if (decl.type === 'boolean') out[name] = text === 'true';
    else out[name] = values[name];
  }
  return out;
}

export interface RunNowNotice { text: string; tone: 'ok' | 'warn'; runId?: string }

/**
 * What the trigger did, in words. A run that waits in the queue because no worker of its group is online says so
 * ("Started 1 run" while it waits unexplained was issue 8's complaint).
 */
export function runNowNotice(task: Task, runs: readonly Run[], workers: readonly Worker[], groupName: string): RunNowNotice {
  const runId = runs[0]?.id;
  const plural = runs.length === 1 ? '' : 's';
  const waiting = runs.filter((r) => r.state === 'queued' && r.workerId === null);
  if (runs.length > 0 && waiting.length === runs.length) {
    const online = workers.filter((w) => w.groupId === task.groupId && w.status === 'online');
    const able = online.filter((w) => w.handlers.includes(task.handler));
    const wait = `it waits up to ${duration(task.queueTimeoutMs)} for one, then fails with no_worker`;
    if (online.length === 0) return { tone: 'warn', runId, text: `${task.name}: queued, no worker of group ${groupName} is online; ${wait}.` };
    if (able.length === 0) return { tone: 'warn', runId, text: `${task.name}: queued, no online worker of group ${groupName} offers the ${task.handler} handler; ${wait}.` };
    return { tone: 'warn', runId, text: `${task.name}: queued, waiting for a free worker of group ${groupName}.` };
  }
  if (runs.every((r) => r.state === 'skipped')) return { tone: 'warn', runId, text: `${task.name}: skipped, a run is still going and the task discards later ones.` };
  return { tone: 'ok', runId, text: `Started ${runs.length} run${plural} of ${task.name}.` };
}
