// The gauges read at each scrape: the cluster's queue and workers from the shared database (the same on every
// master), and this master's own part (leading, connected agents, its connection pools).
import type { Db } from '../db/store';
import type { MasterMetrics } from './instruments';

export interface GaugeSources {
  db: Db;
  pools: { durable: Db; lazy: Db };
  /** Connected agents when this master leads (agents connect to the leader), else null. */
  agentsConnected: () => number | null;
}

async function activeCounts(db: Db, states: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from runs where state = any($1::text[])', [states]);
  return rows[0]?.n ?? 0;
}

export function registerClusterGauges(metrics: MasterMetrics, src: GaugeSources): void {
  metrics.gauge('baton_queue_depth', 'Runs waiting for a worker or for their planned time (queued, scheduled), cluster-wide.', [],
    async () => [{ labels: {}, value: await activeCounts(src.db, ['queued', 'scheduled']) }]);
  metrics.gauge('baton_runs_in_flight', 'Runs assigned to or running on an agent, cluster-wide.', [],
    async () => [{ labels: {}, value: await activeCounts(src.db, ['assigned', 'running']) }]);
  metrics.gauge('baton_workers', 'Workers by status: offline, or online and enabled, draining or disabled.', ['status'], async () => {
    const { rows } = await src.db.query<{ status: string; n: number }>(
      `select case when online then admin_state else 'offline' end as status, count(*)::int as n from workers group by 1`,
    );
    const counts = new Map(rows.map((r) => [r.status, r.n]));
    return ['offline', 'enabled', 'draining', 'disabled'].map((status) => ({ labels: { status }, value: counts.get(status) ?? 0 }));
  });
  metrics.gauge('baton_leader', '1 while this master leads (fires and dispatches), 0 while it follows.', [],
    async () => [{ labels: {}, value: src.agentsConnected() === null ? 0 : 1 }]);
  metrics.gauge('baton_agents_connected', 'Agents connected to this master (they connect to the leader).', [],
    async () => [{ labels: {}, value: src.agentsConnected() ?? 0 }]);
  metrics.gauge('baton_db_pool_connections', 'Connections of this master\'s database pools, by pool and state.', ['pool', 'state'], async () =>
    (['durable', 'lazy'] as const).flatMap((pool) => {
      const p = src.pools[pool];
      return [
        { labels: { pool, state: 'total' }, value: p.totalCount },
        { labels: { pool, state: 'idle' }, value: p.idleCount },
        { labels: { pool, state: 'waiting' }, value: p.waitingCount },
      ];
    }));
}
