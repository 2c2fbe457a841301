// The store's part of a definitions import: holding groups and tasks still while an import re-plans and writes.
import type { Queryable } from './store';

/**
 * Inside the import's transaction: other writers of groups and tasks (the scheduler moving next fires too) wait
 * until it commits, so the plan it re-makes there is the one it writes. Reads go on. Imports are rare and short.
 */
export async function holdDefinitions(db: Queryable): Promise<void> {
  await db.query('lock table groups, tasks in share row exclusive mode');
}
