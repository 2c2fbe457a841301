// What a run knows about itself, as environment variables (shell) and a W3C trace context (http).
import { randomBytes } from 'node:crypto';
import { traceparent, type RunAssign } from '../protocol.js';

// Linux refuses a single env string above 128 KiB (MAX_ARG_STRLEN); 32 Ki chars stay below it even
// when every char takes 4 bytes in UTF-8, so a big parent output cannot make the spawn fail.
const PARENT_OUTPUT_LIMIT = 32_768;

/** The attempt's span as the master named it (its logs say the same); a fresh one from an older master. */
export function runTraceparent(assign: RunAssign): string {
  return traceparent(assign.traceId, assign.spanId ?? randomBytes(8).toString('hex'));
}

export function runEnv(assign: RunAssign): Record<string, string> {
  const env: Record<string, string> = {
    BATON_RUN_ID: assign.runId,
    BATON_ATTEMPT: String(assign.attempt),
    BATON_TASK_ID: assign.taskId,
    BATON_TRACE_ID: assign.traceId,
    TRACEPARENT: runTraceparent(assign),
    BATON_SHARD_INDEX: String(assign.shard.index),
    BATON_SHARD_TOTAL: String(assign.shard.total),
  };
  if (assign.parent) {
    env.BATON_PARENT_RUN_ID = assign.parent.runId;
    env.BATON_PARENT_OUTPUT = assign.parent.output.slice(-PARENT_OUTPUT_LIMIT);
  }
  if (assign.parents.length > 0) env.BATON_PARENTS = parentsJson(assign.parents);
  return env;
}

/** Every parent as JSON, each output cut to its share of the same limit, so the whole stays one spawnable string. */
function parentsJson(parents: RunAssign['parents']): string {
  const share = Math.floor(PARENT_OUTPUT_LIMIT / parents.length / 2);
  return JSON.stringify(parents.map((p) => ({ ...p, output: p.output.slice(-share) })));
}
