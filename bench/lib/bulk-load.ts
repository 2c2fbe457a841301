// Loading a million generated runs through the row and statement triggers took 8 minutes on the shared 2-core build
// machine (mostly recording a transition and a console notice per run, which no measured query reads). So a load
// runs with triggers off (session_replication_role = replica; the embedded cluster's user is a superuser); the
// generators write on each root what migration 14's triggers keep as a lone attempt would have it (its own state, times
// and worker), the roots with later attempts are then set in one statement, each root's workers are written as rows
// of run_family_workers (migration 19) in one more, the dashboard's rollups (migration 20) are counted from the roots
// in two more, and the tables are vacuumed and analyzed as autovacuum would after such a load. The measured queries
// run on the real schema; the triggers' upkeep of those columns and tables is what test/integration/run-family.test.ts
// and test/integration/dashboard-summary.test.ts show.
import type pg from 'pg';
import { fillFamilyWorkers, recomputeRetriedFamilies } from '../../src-main/master/db/run-family';
import { fillRunOutcomes } from '../../src-main/master/db/run-outcomes';
import { withClient } from './cluster';

export async function bulkLoad(databaseUrl: string, load: (c: pg.Client) => Promise<void>): Promise<void> {
  await withClient(databaseUrl, async (c) => {
    await c.query('set session_replication_role = replica');
    await load(c);
    await recomputeRetriedFamilies(c);
    await fillFamilyWorkers(c);
    await fillRunOutcomes(c);
    await c.query('set session_replication_role = origin');
    await c.query('vacuum analyze');
  });
}

