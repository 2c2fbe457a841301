// A parent's final end fires its children: a child of one parent when its condition holds, a child of several
// parents once per generation when its join is met (or the generation ends for it, with a visible skipped run).
import type { Task } from '../api/contract/domain';
import type { RunWriter } from '../db/run-writer';
import { getRun, insertRuns, type StoredRun } from '../db/runs';
import { inTransaction, type Db } from '../db/store';
import { generationOf, recordParentEnd, setJoinRun, unfiredJoins } from '../db/workflow';
import type { Logger } from '../log';
import { parentConditionMet } from '../scheduler/dag';
import { decideJoin } from '../scheduler/join';
import { spanIdOf } from '../tracing/traceparent';
import type { Dispatcher } from './dispatcher';

/** A join decided to fire but with no run this long after is fired again (the master stopped in between). */
const UNFIRED_AFTER_MS = 30_000;

export class ChildFiring {
  constructor(private readonly deps: { db: Db; writer: RunWriter; dispatcher: Dispatcher; log: Logger }) {}

  async parentEnded(parent: Task, run: StoredRun): Promise<void> {
    for (const child of await this.deps.dispatcher.childrenOf(parent.id)) {
      if (child.trigger.type !== 'parent') continue;
      if (child.trigger.parents.length === 1) {
        if (parentConditionMet(child.trigger.on, run.state)) await this.fire(child, run);
        continue;
      }
      const join = child.trigger.join;
      const parents = child.trigger.parents;
      const generation = await generationOf(this.deps.db, run);
      const decision = await recordParentEnd(this.deps.db, {
        childTaskId: child.id, generation, parentTaskId: parent.id, parentRunId: run.id, state: run.state,
      }, (ended) => decideJoin(join, parents, ended));
      if (decision.kind === 'fire') await this.fireJoin(child, generation, run);
      else if (decision.kind === 'end') await this.endGeneration(child, run, decision.reason);
    }
  }

  /** Fires joins a stopped master decided but never started; a run already stored for one is linked instead. */
  async recover(now: number): Promise<void> {
    for (const { childTaskId, generation } of await unfiredJoins(this.deps.db, new Date(now - UNFIRED_AFTER_MS))) {
      const { rows } = await this.deps.db.query<{ parent_run_id: string; existing: string | null }>(
        `select p.parent_run_id, (select r.id from runs r where r.task_id = p.child_task_id and r.parent_run_id = p.parent_run_id and r.attempt = 1 limit 1) as existing
         from workflow_parents p where p.child_task_id = $1 and p.generation = $2 order by p.recorded_at desc limit 1`, [childTaskId, generation],
      );
      const last = rows[0];
      if (!last) continue;
      if (last.existing) {
        await setJoinRun(this.deps.db, childTaskId, generation, last.existing);
        continue;
      }
      const child = await this.deps.dispatcher.task(childTaskId).catch(() => null);
      if (child) await this.fireJoin(child, generation, await getRun(this.deps.db, last.parent_run_id));
    }
  }

  private async fireJoin(child: Task, generation: string, decisive: StoredRun): Promise<void> {
    const runs = await this.fire(child, decisive);
    if (runs[0]) await setJoinRun(this.deps.db, child.id, generation, runs[0].id);
  }

  private fire(child: Task, parentRun: StoredRun): Promise<StoredRun[]> {
    return this.deps.dispatcher.fire(child, Date.now(), 'parent', {
      parentRunId: parentRun.id, trace: { traceId: parentRun.traceId, parentSpanId: spanIdOf(parentRun.id) },
    });
  }

  /** The generation ends for this child: a skipped run says why, where operators look (the runs list, alerts). */
  private async endGeneration(child: Task, decisive: StoredRun, why: string): Promise<void> {
    const row = {
      ...this.deps.dispatcher.newRun(child, Date.now(), 'parent', { parentRunId: decisive.id, trace: { traceId: decisive.traceId } }),
      state: 'skipped' as const, reason: 'upstream_failed',
    };
    const stored = await inTransaction(this.deps.db, async (client) => {
      const [inserted] = await insertRuns(client, [row]);
      if (inserted) await client.query('update runs set error = $2 where id = $1', [inserted.id, `Not run: ${why}.`]);
      return inserted;
    });
    if (!stored) return;
    this.deps.log.info({ runId: stored.id, traceId: stored.traceId, task: child.name, why }, 'workflow generation ended for a child');
  }
}
