// The runs list (issue 8): one page of root runs with their later attempts, by filters and cursor, and a bounded total.
import type { RunState, RunTrigger } from '../api/contract/domain';
import { encodeRunCursor, RUN_COUNT_CAP, type RunCursorPosition } from '../api/contract/run-query';
import { LIST_COLUMNS, toRun, type RunRow, type StoredRun } from './runs';
import type { Queryable } from './store';

/** The runs list's filters and position, checked (RunPageInput) and decoded. */
export interface RunQuery {
  taskId?: string; groupId?: string; workerId?: string; state?: RunState[]; trigger?: RunTrigger[];
  from?: string; to?: string; text?: string; limit: number; after?: RunCursorPosition;
}

/** `%`, `_` and `\` in search text are matched as themselves. */
function likePattern(text: string): string {
  return `%${text.replaceAll(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Text in output or error is searched over every attempt: the roots of matching attempts are read first through the
 * trigram indexes, up to this many. When fewer match (a rare word) the page is picked among those roots by primary
 * key; when more do, the word is common and the roots are walked newest first, each checked (bench/runs-query).
 */
const CANDIDATES_MAX = 5_000;

/**
 * A word found in at least this many of the newest PROBE_ROOTS roots is common: reading it through the trigram
 * indexes gathered nearly every row before the walk (117 ms of the common word's 211 ms, bench/runs-query), so the
 * roots are walked at once. Either plan gives the same answer; this only picks the faster.
 */
const PROBE_ROOTS = 200;
const COMMON_IN_PROBE = 20;

/** The text condition, as a query for the roots of matching attempts and as a check of one root `r`. */
function textFilter(q: RunQuery, p: (value: unknown) => string): { roots: string; check: string } | null {
  if (!q.text) return null;
  const t = p(likePattern(q.text));
  return {
    // `output <> ''` names the trigram index's own condition (migration 21: runs without output, the in-flight versions
    // of every run among them, are not in it); text is never empty, so it changes no answer.
    roots: `select distinct a.root_run_id from runs a where ((a.output <> '' and a.output ilike ${t}) or a.error ilike ${t}) limit ${CANDIDATES_MAX + 1}`,
    // The root's own output first: it is in the row already read, and most families are the root alone, so a
    // common word is mostly found without probing the family (bench/runs-query).
    check: `(r.output ilike ${t} or r.error ilike ${t}
      or exists (select 1 from runs a where a.root_run_id = r.id and a.id <> r.id and (a.output ilike ${t} or a.error ilike ${t})))`,
  };
}

/**
 * Conditions on the root row itself (the group's, text's and worker's are added by familyFilter), each served by an
 * index or a cheap check. The newest attempt's state is kept on the root by triggers (migration 14): computed per
 * root it took seconds.
 */
function rootFilters(q: RunQuery, p: (value: unknown) => string): string[] {
  const conditions = ['r.id = r.root_run_id'];
  if (q.taskId) conditions.push(`r.task_id = ${p(q.taskId)}`);
  if (q.state) conditions.push(`r.newest_state = any(${p(q.state)}::text[])`);
  if (q.trigger) conditions.push(`r.trigger = any(${p(q.trigger)}::text[])`);
  if (q.from) conditions.push(`r.created_at >= ${p(q.from)}::timestamptz`);
  if (q.to) conditions.push(`r.created_at < ${p(q.to)}::timestamptz`);
  return conditions;
}

/** The FROM and WHERE of a list, its parameters, and the columns of `r` the page is ordered by: (created_at, id). */
interface FamilyFilter { from: string; where: string; params: unknown[]; order: { at: string; id: string } }

/**
 * The FROM and WHERE clauses over root runs `r` for all filters, and their parameters (see CANDIDATES_MAX for the two
 * plans). Few candidates are joined by key: as a condition, the planner walked every root to test them.
 */
async function familyFilter(db: Queryable, q: RunQuery): Promise<FamilyFilter> {
  const params: unknown[] = [];
  const p = (value: unknown) => `$${params.push(value)}`;
  const conditions = rootFilters(q, p);
  if (q.groupId) {
    // The group's tasks as a list: as a subquery, a tasks table without statistics (a few rows never trigger
    // autovacuum's analyze) made the planner sort every run of the group (10 s on 1,000,000 runs, bench/runs-query).
    const { rows } = await db.query<{ id: string }>('select id from tasks where group_id = $1', [q.groupId]);
    conditions.push(`r.task_id = any(${p(rows.map((r) => r.id))}::text[])`);
  }
  const text = textFilter(q, p);
  let from = 'runs r';
  if (text) {
    // Its own parameters: PostgreSQL refuses a statement with parameters it does not use (it cannot type them).
    const own: unknown[] = [];
    const alone = textFilter(q, (v) => `$${own.push(v)}`)!;
    const { rows: [probe] } = await db.query<{ n: number }>(
      `select count(*)::int as n from (select * from runs r where r.id = r.root_run_id order by r.created_at desc, r.id desc
       limit ${PROBE_ROOTS}) r where ${alone.check}`, own);
    const { rows } = probe!.n >= COMMON_IN_PROBE ? { rows: null } : await db.query<{ root_run_id: string }>(alone.roots, own);
    // OFFSET 0 keeps the candidates a subquery of their own, read first: pulled up, the planner tested the other
    // conditions on every root before joining them (2.3 s on 100,000 runs).
    if (rows && rows.length <= CANDIDATES_MAX) {
      from = `(select r.* from unnest(${p(rows.map((r) => r.root_run_id))}::text[]) as c(id) join runs r on r.id = c.id offset 0) r`;
    }
    conditions.push(text.check);
  }
  let order = { at: 'r.created_at', id: 'r.id' };
  if (q.workerId && from === 'runs r') {
    // The worker's rows (migration 19) newest first, the page ordered by their columns and each root fetched by key
    // (LATERAL ... LIMIT 1 keeps that a nested loop): 50 index entries and 50 roots, cursor included. Through the GIN
    // index the page read and sorted every root of the worker (bench/runs-query); as a plain join, the planner (which
    // takes id = root_run_id for 0.5 % of runs) hashed every root run.
    from = `(select r.*, w.created_at as w_at, w.root_run_id as w_id from run_family_workers w
      cross join lateral (select * from runs r where r.id = w.root_run_id limit 1) r where w.worker_id = ${p(q.workerId)}) r`;
    order = { at: 'r.w_at', id: 'r.w_id' };
  } else if (q.workerId) {
    conditions.push(`r.family_workers @> array[${p(q.workerId)}::text]`);
  }
  return { from, where: conditions.join(' and '), params, order };
}

export interface RunListPage {
  runs: Array<StoredRun & { retries: StoredRun[] }>;
  next: string | null;
  /** Counted on the first page only (no cursor): later pages of the same list have the same total. */
  total: { count: number; capped: boolean } | null;
}

/** One page of root runs newest first, strictly by (created_at, id), with their later attempts and a bounded total. */
export async function pageRuns(db: Queryable, q: RunQuery): Promise<RunListPage> {
  const filter = await familyFilter(db, q);
  const pageParams = [...filter.params];
  const p = (value: unknown) => `$${pageParams.push(value)}`;
  const after = q.after
    ? ` and (${filter.order.at}, ${filter.order.id}) < (timestamptz 'epoch' + ${p(q.after.createdMicros)}::bigint * interval '1 microsecond', ${p(q.after.id)}::text)`
    : '';
  const limit = p(q.limit + 1);
  // The page is picked from runs alone (its index order), then joined to its tasks: joined first, the planner
  // sorted every run of a task to find the newest 50.
  const [page, count] = await Promise.all([
    db.query<RunRow & { created_micros: string }>(
      `select ${LIST_COLUMNS}, (extract(epoch from r.created_at) * 1000000)::bigint::text as created_micros
       from (select r.* from ${filter.from} where ${filter.where}${after}
             order by ${filter.order.at} desc, ${filter.order.id} desc limit ${limit}) r
       join tasks t on t.id = r.task_id order by r.created_at desc, r.id desc`, pageParams),
    q.after ? null : countFamilies(db, q, filter),
  ]);
  const roots = page.rows.slice(0, q.limit);
  const last = roots.at(-1);
  const next = page.rows.length > q.limit && last ? encodeRunCursor({ createdMicros: last.created_micros, id: last.id }) : null;
  const retries = await laterAttempts(db, roots.map((r) => r.id));
  const n = count?.rows[0]?.n ?? null;
  return {
    runs: roots.map((r) => ({ ...toRun(r), retries: retries.get(r.id) ?? [] })),
    next,
    total: n === null ? null : { count: Math.min(n, RUN_COUNT_CAP), capped: n > RUN_COUNT_CAP },
  };
}

/** Whether the worker is the only filter: the cases the worker's own rows answer alone. */
function onlyWorker(q: RunQuery): q is RunQuery & { workerId: string } {
  const others = [q.taskId, q.groupId, q.state, q.trigger, q.from, q.to, q.text];
  return q.workerId !== undefined && others.every((v) => v === undefined);
}

/**
 * The matching families, counted up to RUN_COUNT_CAP + 1. A worker alone is counted in its rows of run_family_workers
 * (migration 19) from the index alone: through the GIN index on family_workers it read a heap row per root (307 ms
 * on 1,000,000 runs, bench/runs-query).
 */
function countFamilies(db: Queryable, q: RunQuery, filter: FamilyFilter) {
  return onlyWorker(q)
    ? db.query<{ n: number }>(
      `select count(*)::int as n from (select 1 from run_family_workers where worker_id = $1 limit ${RUN_COUNT_CAP + 1}) capped`, [q.workerId])
    : db.query<{ n: number }>(
      `select count(*)::int as n from (select 1 from ${filter.from} where ${filter.where} limit ${RUN_COUNT_CAP + 1}) capped`, filter.params);
}

/** Attempts after the first of each root, oldest first, by root. */
async function laterAttempts(db: Queryable, rootIds: string[]): Promise<Map<string, StoredRun[]>> {
  const byRoot = new Map<string, StoredRun[]>();
  if (rootIds.length === 0) return byRoot;
  const { rows } = await db.query<RunRow>(
    `select ${LIST_COLUMNS} from runs r join tasks t on t.id = r.task_id
     where r.root_run_id = any($1::text[]) and r.id <> r.root_run_id order by r.root_run_id, r.attempt, r.id`, [rootIds]);
  for (const row of rows) byRoot.set(row.root_run_id, [...(byRoot.get(row.root_run_id) ?? []), toRun(row)]);
  return byRoot;
}
