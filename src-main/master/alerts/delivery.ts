// The alert outbox's two ends. Recording: an ended attempt (or a worker's or channel's change) becomes outbox rows,
// one per channel its rules name; the caller never waits for it, so dispatch is never slowed. Delivering: on the
// leader, a loop groups each channel's pending rows into messages (grouping.ts), sends them with bounded
// concurrency and time, and backs a failing channel off (retry-schedule.ts), keeping its state for the console.
import { EventEmitter } from 'node:events';
import type { AlertChannelKind, AlertRule, AlertSettings } from '../api/contract/alerts';
import type { Run, Task } from '../api/contract/domain';
import * as channels from '../db/alert-channels';
import * as outbox from '../db/alert-outbox';
import { waitingRuns } from '../db/alert-waiting';
import { listRules } from '../db/alert-rules';
import type { Db } from '../db/store';
import { listWorkers } from '../db/workers';
import type { Logger } from '../log';
import { outgoing } from './formats';
import { groupAlerts, type AlertMessage, type PendingAlert } from './grouping';
import { nextRetryAt, DEFAULT_RETRY_SCHEDULE, type RetrySchedule } from './retry-schedule';
import type { SkippedFires } from '../scheduler/misfire';
import {
  AlertEvent, channelFailingEvent, matchChannels, presenceChanges, runEvents, skippedEvent, taskChannels, testEvent, waitingEvent, workerEvent,
} from './rules';
import { alertSender, type Sender, type SenderSettings } from './send';

export type DeliveryOutcome = 'sent' | 'failed';

export interface AlertDeliveryOptions extends Omit<SenderSettings, 'timeoutMs'> {
  timeoutMs?: number;
  retry?: Partial<RetrySchedule>;
  /** How often the loop looks for messages to send and for workers that changed. */
  tickMs?: number;
}

interface Resolved { retry: RetrySchedule; tickMs: number; concurrency: number; batch: number }

/** Channels sent to at once: enough that one slow webhook does not hold the others up, few enough to stay polite. */
const CONCURRENCY = 4;
/** Pending rows read per channel and look: a long outage's backlog is worked through a slice at a time. */
const BATCH = 500;
const RULES_TTL_MS = 2_000;
const SENT_KEPT_MS = 7 * 86_400_000;

export class AlertDelivery {
  private readonly sender: Sender;
  private readonly settings: Resolved;
  private readonly deliveries = new EventEmitter();
  private readonly inFlight = new Map<string, Promise<void>>();
  private rules: { at: number; list: Promise<AlertRule[]> } | null = null;
  private presence: Map<string, boolean> | null = null;
  private lastPrune = 0;

  constructor(private readonly db: Db, private readonly log: Logger, options: AlertDeliveryOptions) {
    this.sender = alertSender({ smtpUrl: options.smtpUrl, from: options.from, outbound: options.outbound, timeoutMs: options.timeoutMs ?? 10_000 });
    this.settings = { retry: { ...DEFAULT_RETRY_SCHEDULE, ...options.retry }, tickMs: options.tickMs ?? 1_000, concurrency: CONCURRENCY, batch: BATCH };
  }

  /** For counting deliveries by channel and outcome (metrics); returns the unsubscribe. */
  onDelivery(listener: (channel: { name: string; kind: AlertChannelKind }, outcome: DeliveryOutcome) => void): () => void {
    const handler = (c: { name: string; kind: AlertChannelKind }, o: DeliveryOutcome) => listener(c, o);
    this.deliveries.on('delivery', handler);
    return () => this.deliveries.off('delivery', handler);
  }

  /** Rules changed through the API: the next event reads them afresh. */
  rulesChanged(): void {
    this.rules = null;
  }

  /** An attempt ended. Never throws and is never awaited by dispatch: a run's end must not fail or wait for its alert. */
  runEnded(task: Task, run: Run, final: boolean): void {
    void this.record(runEvents(run, task.groupId, final), task).catch((error: Error) =>
      this.log.error({ runId: run.id, task: run.taskName, error: error.message }, 'alert not recorded'));
  }

  /** The misfire policy dropped fires (planner): recorded like an attempt's end, never awaited by the planner. */
  firesSkipped(task: Task, fires: SkippedFires, now: number): void {
    void this.record([skippedEvent(task, fires, now)]).catch((error: Error) =>
      this.log.error({ task: task.name, error: error.message }, 'alert not recorded'));
  }

  private async record(events: AlertEvent[], task?: Task): Promise<void> {
    if (events.length === 0) return;
    const rules = await this.currentRules();
    const names = events.map((event) => matchChannels(rules, event));
    const wanted = [...new Set(names.flat())];
    // One look-up for every event: the queue scan may record many at once.
    const ids = wanted.length > 0 ? await channels.channelIdsByName(this.db, wanted, true) : new Map<string, string>();
    const rows: Array<{ channelId: string; event: AlertEvent }> = [];
    for (const [i, event] of events.entries()) {
      for (const name of names[i]!) {
        const id = ids.get(name);
        if (id !== undefined) rows.push({ channelId: id, event });
      }
      for (const own of task ? taskChannels(task.id, task.alerts, event) : []) {
        rows.push({ channelId: await channels.ensureTaskChannel(this.db, own.name, own), event });
      }
    }
    await outbox.enqueue(this.db, rows);
  }

  private currentRules(): Promise<AlertRule[]> {
    const now = Date.now();
    if (!this.rules || now - this.rules.at > RULES_TTL_MS) {
      const list = listRules(this.db);
      list.catch(() => { this.rules = null; });
      this.rules = { at: now, list };
    }
    return this.rules.list;
  }

  /** Runs the loop (on the leader); returns how to stop it, which waits for messages being sent. */
  start(): () => Promise<void> {
    let stopped = false;
    const timer = setInterval(() => {
      if (!stopped) void this.tick(Date.now()).catch((error: Error) => this.log.warn({ error: error.message }, 'alert delivery look failed'));
    }, this.settings.tickMs);
    return async () => {
      stopped = true;
      clearInterval(timer);
      this.presence = null;
      await Promise.allSettled([...this.inFlight.values()]);
    };
  }

  close(): void {
    this.sender.close();
  }

  private async tick(now: number): Promise<void> {
    await this.watchWorkers(now);
    await this.watchQueue(now);
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      await outbox.pruneSent(this.db, new Date(now - SENT_KEPT_MS));
    }
    const free = this.settings.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const [due, settings] = await Promise.all([channels.dueChannels(this.db, new Date(now)), channels.getSettings(this.db)]);
    for (const channel of due.filter((c) => !this.inFlight.has(c.id)).slice(0, free)) {
      const work = this.deliverChannel(channel, settings, now)
        .catch((error: Error) => this.log.warn({ channel: channel.name, error: error.message }, 'alert delivery failed'))
        .finally(() => this.inFlight.delete(channel.id));
      this.inFlight.set(channel.id, work);
    }
  }

  private async watchWorkers(now: number): Promise<void> {
    const workers = await listWorkers(this.db);
    const changes = presenceChanges(this.presence, workers);
    this.presence = new Map(workers.map((w) => [w.id, w.status !== 'offline']));
    const byId = new Map(workers.map((w) => [w.id, w]));
    await this.record(changes.map((c) => workerEvent(byId.get(c.id)!, c.reason, now)));
  }

  /**
   * queue_wait while runs still wait (issue 10): the runs queued longer than the smallest limit of any rule on it.
   * Every look records them again; the outbox keeps one per run and channel (alert-outbox.ts), and each rule keeps
   * only the runs past its own limit (rules.ts), so a rule with a longer limit still hears later.
   */
  private async watchQueue(now: number): Promise<void> {
    const limits = (await this.currentRules()).filter((r) => r.enabled && r.on.includes('queue_wait')).map((r) => r.queueWaitMs);
    if (limits.length === 0) return;
    const runs = await waitingRuns(this.db, new Date(now - Math.min(...limits)), this.settings.batch);
    await this.record(runs.map((run) => waitingEvent(run, now)));
  }

  private async deliverChannel(channel: channels.DeliverableChannel, settings: AlertSettings, now: number): Promise<void> {
    const rows = await outbox.pending(this.db, channel.id, this.settings.batch);
    const readable: PendingAlert[] = [];
    for (const row of rows) {
      const event = AlertEvent.safeParse(row.event);
      if (event.success) readable.push({ id: row.id, event: event.data });
      else await outbox.markSent(this.db, [row.id], new Date(now)); // written by another version: never sendable, so not kept waiting
    }
    const { ready } = groupAlerts(readable, settings.windowMs, now);
    for (const message of ready) {
      if (!(await this.send(channel, message, settings.consoleUrl))) return;
    }
  }

  /** Sends one message and records the channel's state; false when it failed (the channel then waits for its retry). */
  private async send(channel: channels.DeliverableChannel, message: AlertMessage, consoleUrl: string | null): Promise<boolean> {
    try {
      await this.sender.send(channel.kind, outgoing(channel, message, consoleUrl, Date.now()));
    } catch (error) {
      await this.failed(channel, error instanceof Error ? error.message : String(error));
      return false;
    }
    const at = new Date();
    if (message.ids.length > 0) await outbox.markSent(this.db, message.ids, at);
    await channels.recordSuccess(this.db, channel.id, at);
    channel.failures = 0;
    this.log.info({ channel: channel.name, kind: channel.kind, reason: message.reason, count: message.count }, 'alert sent');
    this.deliveries.emit('delivery', { name: channel.name, kind: channel.kind }, 'sent');
    return true;
  }

  private async failed(channel: channels.DeliverableChannel, error: string): Promise<void> {
    const now = Date.now();
    const failures = await channels.recordFailure(this.db, channel.id, new Date(now), error, new Date(nextRetryAt(channel.failures + 1, now, this.settings.retry)));
    channel.failures = failures;
    this.log.warn({ channel: channel.name, kind: channel.kind, error, failures }, 'alert not delivered');
    this.deliveries.emit('delivery', { name: channel.name, kind: channel.kind }, 'failed');
    // Told once per outage, when the channel starts failing; the storm window groups repeats like any other alert.
    if (failures === 1) await this.record([channelFailingEvent(channel, error, now)]);
  }

  /** The "send test" action: a message now, outside the window; the channel's state records how it went. */
  async test(channelId: string): Promise<{ delivered: boolean; error: string | null }> {
    const channel = await channels.deliverable(this.db, channelId);
    const settings = await channels.getSettings(this.db);
    const event = testEvent(channel, Date.now());
    const at = event.at;
    const message: AlertMessage = { reason: event.reason, subject: event.subject, count: 1, firstAt: at, lastAt: at, first: event, last: event, ids: [] };
    try {
      await this.sender.send(channel.kind, outgoing(channel, message, settings.consoleUrl, Date.now()));
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      await this.failed(channel, text);
      return { delivered: false, error: text };
    }
    await channels.recordSuccess(this.db, channel.id, new Date());
    this.deliveries.emit('delivery', { name: channel.name, kind: channel.kind }, 'sent');
    return { delivered: true, error: null };
  }
}
