// Handlers of the runs list, run page and retry (issue 8); wired into handlers.ts beside the other methods.
import { TERMINAL_STATES } from './contract/domain';
import { BatonError } from './contract/errors';
import { decodeRunCursor } from './contract/run-query';
import type { Handler } from './handlers';
import { newId, newTraceId } from '../db/ids';
import { pageRuns } from '../db/run-page';
import { getRun, insertRuns, nextAttempt, runDetail, type NewRun, type StoredRun } from '../db/runs';
import type { MasterContext } from '../context';
import { fromNew } from '../dispatch/live-runs';

/**
 * A new attempt of an ended run: same task, params, parent and shard, the next attempt number of its family, trigger
 * `retry`. It joins its task's queue, so the task's blocking strategy and routing apply as to any run.
 */
async function retryRun(ctx: MasterContext, id: string): Promise<StoredRun> {
  const run = await getRun(ctx.db, id);
  if (!TERMINAL_STATES.includes(run.state)) {
    throw new BatonError('conflict', `Run ${id} is ${run.state}; wait for it to end or stop it, then retry.`, 'id', { state: run.state });
  }
  const task = await ctx.dispatcher.task(run.taskId).catch(() => {
    throw new BatonError('not_found', `The task of run ${id} no longer exists, so the run cannot be retried.`, 'id');
  });
  const fresh = newId('run');
  const row: NewRun = {
    id: fresh, taskId: task.id, rootRunId: run.rootRunId, attempt: await nextAttempt(ctx.db, run.rootRunId, run.shardIndex),
    trigger: 'retry', parentRunId: run.parentRunId, shardIndex: run.shardIndex, shardTotal: Math.max(run.shardTotal, 1),
    traceId: run.traceId, state: 'queued', params: run.params, plannedAt: Date.now(), reason: null, workerId: null, workerName: null,
  };
  const [stored] = await insertRuns(ctx.db, [row]);
  ctx.dispatcher.runs.add({ ...fromNew(row), stored: true });
  void ctx.dispatcher.pump(task.id);
  ctx.log.info({ runId: id, retryRunId: fresh, attempt: row.attempt }, 'run retried by an operator');
  return stored!;
}

export const runHandlers: { [M in 'runs.page' | 'runs.detail' | 'runs.retry']: Handler<M> } = {
  'runs.page': ({ cursor, ...filters }, ctx) => {
    // The schema checked the cursor's form; decoding it again here is what turns it into a position.
    const after = cursor === undefined ? undefined : decodeRunCursor(cursor) ?? undefined;
    return pageRuns(ctx.db, { ...filters, after });
  },
  'runs.detail': ({ id }, ctx) => runDetail(ctx.db, id),
  'runs.retry': ({ id }, ctx) => retryRun(ctx, id),
};
