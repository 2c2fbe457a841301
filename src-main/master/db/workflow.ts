// Workflow joins in the store: a parent's final end recorded per child and generation, the join decided once under
// a lock (two parents ending at once must not both fire the child), and the parents a child run was fired with.
import type { RunState } from '../api/contract/domain';
import type { JoinDecision, ParentEnd } from '../scheduler/join';
import { inTransaction, type Db, type Queryable } from './store';

/**
 * The generation a run belongs to: the first attempt of the root fire it descends from (parent_run_id links up to
 * it; retries keep their attempt's parent). Bounded by the depth of the workflow.
 */
export async function generationOf(db: Queryable, run: { rootRunId: string; parentRunId: string | null }): Promise<string> {
  if (run.parentRunId === null) return run.rootRunId;
  const { rows } = await db.query<{ root_run_id: string }>(
    `with recursive up(id, parent_run_id, root_run_id, depth) as (
       select id, parent_run_id, root_run_id, 0 from runs where id = $1
       union all
       select r.id, r.parent_run_id, r.root_run_id, up.depth + 1 from runs r join up on r.id = up.parent_run_id where up.depth < 64)
     select root_run_id from up where parent_run_id is null limit 1`, [run.parentRunId],
  );
  return rows[0]?.root_run_id ?? run.parentRunId;
}

export interface ParentEndRecord {
  childTaskId: string; generation: string; parentTaskId: string; parentRunId: string; state: RunState;
}

/**
 * Records a parent's final end for a child's generation (its first end counts), then decides the join with every
 * end recorded so far. Returns the decision only to the one caller that made it; everyone else gets `wait`.
 */
export async function recordParentEnd(
  db: Db, end: ParentEndRecord, decide: (ended: ParentEnd[]) => JoinDecision,
): Promise<JoinDecision> {
  return inTransaction(db, async (client) => {
    await client.query('select pg_advisory_xact_lock(hashtext($1), hashtext($2))', [end.childTaskId, end.generation]);
    const decided = await client.query('select 1 from workflow_children where child_task_id = $1 and generation = $2', [end.childTaskId, end.generation]);
    if (decided.rowCount) return { kind: 'wait' } as const;
    await client.query(
      `insert into workflow_parents (child_task_id, generation, parent_task_id, parent_run_id, parent_state)
       values ($1, $2, $3, $4, $5) on conflict do nothing`,
      [end.childTaskId, end.generation, end.parentTaskId, end.parentRunId, end.state],
    );
    const { rows } = await client.query<{ parent_task_id: string; name: string | null; parent_state: RunState }>(
      `select p.parent_task_id, t.name, p.parent_state from workflow_parents p left join tasks t on t.id = p.parent_task_id
       where p.child_task_id = $1 and p.generation = $2`, [end.childTaskId, end.generation],
    );
    const decision = decide(rows.map((r) => ({ taskId: r.parent_task_id, taskName: r.name ?? r.parent_task_id, state: r.parent_state })));
    if (decision.kind === 'wait') return decision;
    await client.query(
      'insert into workflow_children (child_task_id, generation, outcome, reason) values ($1, $2, $3, $4)',
      [end.childTaskId, end.generation, decision.kind, decision.kind === 'end' ? decision.reason : null],
    );
    return decision;
  });
}

/** The run a fired join started (its first attempt); retries and reassignments find their parents through it. */
export async function setJoinRun(db: Queryable, childTaskId: string, generation: string, runId: string): Promise<void> {
  await db.query('update workflow_children set run_id = $3 where child_task_id = $1 and generation = $2', [childTaskId, generation, runId]);
}

/** Joins decided to fire whose run was never stored (the master stopped in between), decided before `olderThan`. */
export async function unfiredJoins(db: Queryable, olderThan: Date): Promise<Array<{ childTaskId: string; generation: string }>> {
  const { rows } = await db.query<{ child_task_id: string; generation: string }>(
    `select child_task_id, generation from workflow_children where outcome = 'fire' and run_id is null and decided_at < $1 limit 100`,
    [olderThan],
  );
  return rows.map((r) => ({ childTaskId: r.child_task_id, generation: r.generation }));
}

export interface ParentRun { runId: string; taskName: string; state: RunState; output: string }

/**
 * The parents a child run was started for, read from the store so a retry, a reassignment or a run adopted after a
 * leader change gets them too: every parent of its join, or its one parent run. Outputs are the stored (bounded) ones.
 */
export async function parentRuns(db: Queryable, run: { taskId: string; parentRunId: string | null }): Promise<ParentRun[]> {
  if (run.parentRunId === null) return [];
  type Row = { id: string; name: string; state: RunState; output: string };
  // A join's run names the parent whose end decided it; that end's generation holds every parent of the join.
  const joined = await db.query<Row>(
    `select r.id, t.name, r.state, r.output from workflow_parents decisive
       join workflow_parents p on p.child_task_id = decisive.child_task_id and p.generation = decisive.generation
       join runs r on r.id = p.parent_run_id join tasks t on t.id = r.task_id
     where decisive.child_task_id = $1 and decisive.parent_run_id = $2 order by t.name`, [run.taskId, run.parentRunId],
  );
  const rows = joined.rows.length > 0 ? joined.rows : (await db.query<Row>(
    'select r.id, t.name, r.state, r.output from runs r join tasks t on t.id = r.task_id where r.id = $1', [run.parentRunId],
  )).rows;
  return rows.map((r) => ({ runId: r.id, taskName: r.name, state: r.state, output: r.output }));
}
