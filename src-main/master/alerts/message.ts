// An alert as an email: a subject that sorts well in an inbox and a plain-text body with every fact of the run.
import { endedAs, type AlertEvent } from './rules';

export interface AlertEmail { subject: string; text: string }

export function alertEmail(event: AlertEvent): AlertEmail {
  const facts: Array<[string, string | number | null]> = [
    ['Task', `${event.taskName} (${event.taskId})`],
    ['Run', `${event.runId} (attempt ${event.attempt}${event.rootRunId === event.runId ? '' : `, first attempt ${event.rootRunId}`})`],
    ['State', event.state],
    ['Reason', event.reason],
    ['Error', event.error],
    ['Exit code', event.exitCode],
    ['Worker', event.workerName === null ? null : `${event.workerName} (${event.workerId ?? 'unknown id'})`],
    ['Planned', event.plannedAt],
    ['Finished', event.finishedAt],
    ['Trace', event.traceId],
  ];
  const width = Math.max(...facts.map(([label]) => label.length)) + 2;
  const lines = facts.filter(([, value]) => value !== null).map(([label, value]) => `${`${label}:`.padEnd(width)}${String(value)}`);
  const output = event.outputTail ? `\n\nOutput (last lines):\n${event.outputTail}` : '';
  return {
    subject: `[Baton] ${event.taskName} ${endedAs(event.state)}`,
    text: `${event.summary}\n\n${lines.join('\n')}${output}\n`,
  };
}
