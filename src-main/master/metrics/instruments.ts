// What a master counts for Prometheus (prom-client): events are recorded as they happen, state (queue depth,
// workers, pools) is read when scraped. One registry per master, so several masters in one process stay apart.
import client from 'prom-client';
import type { DeliveryOutcome } from '../alerts/delivery';

/** Fire lateness and dispatch round trips: from a few milliseconds (healthy) to a minute (a stalled cluster). */
const LATENESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class MasterMetrics {
  readonly registry = new client.Registry();
  private readonly fires = new client.Counter({
    name: 'baton_fires_total', help: 'Fires of tasks (one per trigger event, before blocking and routing), by trigger kind.',
    labelNames: ['trigger'] as const, registers: [this.registry],
  });
  private readonly lateness = new client.Histogram({
    name: 'baton_fire_lateness_seconds',
    help: 'From a scheduled fire\'s planned time to its assignment being sent to an agent (first attempts; misfire catch-ups are late by intent and left out).',
    buckets: LATENESS_BUCKETS, registers: [this.registry],
  });
  private readonly dispatch = new client.Histogram({
    name: 'baton_dispatch_latency_seconds', help: 'From sending an assignment to the agent\'s answer (accepted or not).',
    buckets: LATENESS_BUCKETS, registers: [this.registry],
  });
  private readonly finished = new client.Counter({
    name: 'baton_runs_finished_total', help: 'Run attempts that reached a final state on this master, by state and handler.',
    labelNames: ['state', 'handler'] as const, registers: [this.registry],
  });
  private readonly dbErrors = new client.Counter({
    name: 'baton_db_errors_total', help: 'Errors on database connections (lost connections, server shutdowns), by pool.',
    labelNames: ['pool'] as const, registers: [this.registry],
  });
  private readonly deliveries = new client.Counter({
    name: 'baton_alert_deliveries_total', help: 'Alert deliveries, by channel kind and outcome.',
    labelNames: ['channel', 'outcome'] as const, registers: [this.registry],
  });

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'baton_' });
  }

  fired(trigger: string): void {
    this.fires.inc({ trigger });
  }

  assignmentSent(trigger: string, attempt: number, plannedAt: number, now: number): void {
    if (trigger === 'schedule' && attempt === 1) this.lateness.observe(Math.max(0, now - plannedAt) / 1000);
  }

  agentAnswered(sentAt: number, now: number): void {
    this.dispatch.observe(Math.max(0, now - sentAt) / 1000);
  }

  runFinished(state: string, handler: string): void {
    this.finished.inc({ state, handler });
  }

  dbError(pool: 'durable' | 'lazy'): void {
    this.dbErrors.inc({ pool });
  }

  alertDelivered(channel: string, outcome: DeliveryOutcome): void {
    this.deliveries.inc({ channel, outcome });
  }

  /** A gauge whose value is read at each scrape. */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<Array<{ labels: Record<L, string>; value: number }>>): void {
    new client.Gauge({
      name, help, labelNames, registers: [this.registry],
      async collect() {
        this.reset();
        for (const { labels, value } of await read()) this.set(labels as Partial<Record<L, string>>, value);
      },
    });
  }

  /** The text Prometheus scrapes (exposition format 0.0.4). */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
