// The Grafana dashboard in resources/ is built on the names the master exports: a renamed metric breaks this test,
// not an operator's dashboard.
import fs from 'node:fs';
import { expect, it } from 'vitest';
import type { Db } from '../../src-main/master/db/store';
import { registerClusterGauges } from '../../src-main/master/metrics/cluster-gauges';
import { MasterMetrics } from '../../src-main/master/metrics/instruments';

it('every metric a panel queries is one the master exports', async () => {
  const metrics = new MasterMetrics();
  const unused = {} as Db;
  registerClusterGauges(metrics, { db: unused, pools: { durable: unused, lazy: unused }, agentsConnected: () => null });
  const exported = new Set(metrics.registry.getMetricsAsArray().flatMap((m) => {
    const name = (m as unknown as { name: string }).name;
    return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`];
  }));
  const dashboard = JSON.parse(fs.readFileSync('resources/grafana/baton-dashboard.json', 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const queried = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\bbaton_[a-z0-9_]+/g) ?? []));
  expect(queried.length).toBeGreaterThan(15);
  expect(queried.filter((name) => !exported.has(name))).toEqual([]);
});
