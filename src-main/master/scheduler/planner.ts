// Fires time-triggered tasks precisely. Every second it reads the fires due in the next few seconds
// (tasks.next_fire_at, the durable schedule) into in-memory timers, one per distinct instant, as XXL-JOB
// pre-reads 5 s. Each fire moves next_fire_at by compare-and-set, so a fire happens once even across masters.
import type { Task } from '../api/contract/domain';
import type { Db } from '../db/store';
import type { RunWriter } from '../db/run-writer';
import { dueFires } from '../db/tasks';
import type { Dispatcher } from '../dispatch/dispatcher';
import type { Logger } from '../log';
import { misfireEnumerationLimit, planDueFires, skippedFires, type SkippedFires } from './misfire';
import { firesBetween, inWindow, nextFireAt, type FireWindow } from './triggers';

const LOOKAHEAD_MS = 5_000;
const TICK_MS = 1_000;

function windowOf(task: Task): FireWindow {
  return { startAt: task.startAt ? Date.parse(task.startAt) : null, endAt: task.endAt ? Date.parse(task.endAt) : null };
}

/** The fire after `planned`; fixed_rate counts from the planned time, not the actual one, so it never drifts. */
export function followingFire(task: Task, planned: number): number | null {
  return nextFireAt(task.trigger, planned, windowOf(task), { anchorMs: planned });
}

export class Planner {
  private readonly armed = new Map<string, number>();
  private readonly slots = new Map<number, { timer: NodeJS.Timeout; tasks: Map<string, Task> }>();
  private ticker: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** Fires and misfire plans under way: stop() waits for them, so none is cut between moving next_fire_at and storing its run. */
  private readonly inFlight = new Set<Promise<void>>();
  /** task id → the planned time whose fire is under way; until its compare-and-set lands the row still shows it. */
  private readonly firing = new Map<string, number>();

  constructor(private readonly deps: {
    db: Db; writer: RunWriter; dispatcher: Dispatcher; log: Logger;
    /** Fires the misfire policy dropped, told once they are settled (issue 10: a "misfired" alert with the count). */
    skipped?: (task: Task, fires: SkippedFires, now: number) => void;
  }) {}

  start(): void {
    void this.tick();
    this.ticker = setInterval(() => void this.tick(), TICK_MS);
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    for (const slot of this.slots.values()) clearTimeout(slot.timer);
    this.slots.clear();
    this.armed.clear();
    await this.ticking;
    await Promise.all(this.inFlight);
  }

  /** Loads what is due soon. Serialised: a slow database never stacks ticks. */
  tick(): Promise<void> {
    this.ticking ??= this.load().catch((error: unknown) => {
      this.deps.log.error({ err: error }, 'planner tick failed');
    }).finally(() => { this.ticking = null; });
    return this.ticking;
  }

  private async load(): Promise<void> {
    const now = Date.now();
    for (const due of await dueFires(this.deps.db, now + LOOKAHEAD_MS)) {
      if (this.armed.get(due.id) === due.planned || this.firing.get(due.id) === due.planned) continue;
      const task = await this.deps.dispatcher.task(due.id).catch(() => null);
      if (!task?.enabled) continue;
      this.disarm(task.id);
      if (now - due.planned > task.misfire.thresholdMs) this.track(this.misfire(task, due.planned, now), 'misfire failed', task, due.planned);
      else this.arm(task, due.planned);
    }
  }

  /** The task changed (edited, enabled, disabled, deleted, fixed delay re-planned): forget its timer, look again. */
  reload(taskId: string): void {
    this.disarm(taskId);
    void this.tick();
  }

  private arm(task: Task, planned: number): void {
    this.armed.set(task.id, planned);
    let slot = this.slots.get(planned);
    if (!slot) {
      const timer = setTimeout(() => this.fireSlot(planned), Math.max(0, planned - Date.now()));
      slot = { timer, tasks: new Map() };
      this.slots.set(planned, slot);
    }
    slot.tasks.set(task.id, task);
  }

  private disarm(taskId: string): void {
    const planned = this.armed.get(taskId);
    if (planned === undefined) return;
    this.armed.delete(taskId);
    const slot = this.slots.get(planned);
    slot?.tasks.delete(taskId);
    if (slot && slot.tasks.size === 0) {
      clearTimeout(slot.timer);
      this.slots.delete(planned);
    }
  }

  private fireSlot(planned: number): void {
    const slot = this.slots.get(planned);
    this.slots.delete(planned);
    for (const task of slot?.tasks.values() ?? []) {
      this.armed.delete(task.id);
      this.track(this.fire(task, planned), 'fire failed', task, planned);
    }
  }

  /** A floating promise would crash the process on a database error (unhandled rejection): log it instead. */
  private track(work: Promise<void>, failure: string, task: Task, planned: number): void {
    this.firing.set(task.id, planned);
    const tracked: Promise<void> = work
      .catch((error: unknown) => { this.deps.log.error({ err: error, task: task.name }, failure); })
      .finally(() => {
        this.inFlight.delete(tracked);
        if (this.firing.get(task.id) === planned) this.firing.delete(task.id);
      });
    this.inFlight.add(tracked);
  }

  private async fire(task: Task, planned: number): Promise<void> {
    if (!inWindow(planned, windowOf(task))) return this.outsideWindow(task, planned);
    // The run is stored before next_fire_at moves: a crash in between re-fires on restart, and the
    // unique (task, planned time, shard) index turns that second fire into nothing. Never a lost fire.
    // dispatcher.fire decides synchronously, so every task of this instant joins one insert; the (slower)
    // next-fire computation waits until that insert is on its way (measured: 500 cron computations first
    // added about 90 ms to every fire of the instant).
    await this.deps.dispatcher.fire(task, planned, 'schedule');
    const next = followingFire(task, planned);
    if (!(await this.advance(task, planned, next))) return;
    if (next !== null && next - Date.now() < LOOKAHEAD_MS && this.ticker) this.arm({ ...task, nextFireAt: new Date(next).toISOString() }, next);
  }

  /**
   * Only fixed_delay gets here: its next fire is planned from a run's end (dispatch/endings), which knows
   * nothing of the window. Too early waits for startAt; past endAt it never fires again.
   */
  private async outsideWindow(task: Task, planned: number): Promise<void> {
    const { startAt } = windowOf(task);
    const next = startAt !== null && planned < startAt ? startAt : null;
    await this.advance(task, planned, next);
    if (next !== null) void this.tick();
  }

  private advance(task: Task, planned: number, next: number | null): Promise<boolean> {
    return this.deps.writer.advance({ id: task.id, planned: new Date(planned), next: next === null ? null : new Date(next) });
  }

  /** The master was down or late: apply the task's misfire policy to every fire it missed. */
  private async misfire(task: Task, planned: number, now: number): Promise<void> {
    const window = windowOf(task);
    if (!inWindow(planned, window)) return this.outsideWindow(task, planned);
    const later = firesBetween(task.trigger, planned, now, misfireEnumerationLimit(task.misfire), { window, anchorMs: planned });
    const plan = planDueFires([planned, ...later.fires], now, task.misfire);
    const next = task.trigger.type === 'fixed_delay'
      ? fixedDelayAfterMisfire(task.trigger.delayMs, plan.fire.length, now, window)
      : nextFireAt(task.trigger, now, window, { anchorMs: later.fires.at(-1) ?? planned });
    for (const f of plan.fire) await this.deps.dispatcher.fire(task, f.plannedAt, f.kind);
    if (!(await this.advance(task, planned, next))) return;
    const skipped = skippedFires([planned, ...later.fires], now, task.misfire, later.truncated);
    if (skipped) this.deps.skipped?.(task, skipped, now);
    // Fires late by less than the threshold still run as scheduled; only those beyond it are the policy's to drop.
    const late = plan.fire.filter((f) => f.kind === 'misfire').length + plan.missed;
    const level = late > 0 ? 'warn' : 'info';
    this.deps.log[level]({ task: task.name, policy: task.misfire.policy, ranLate: plan.fire.length, beyondThreshold: late, dropped: plan.missed }, 'fires the master was late for handled');
  }
}

/**
 * fixed_delay after a misfire: a replayed run plans the next fire when it ends; when nothing is replayed
 * (policy `ignore`) no run will, so the chain restarts from now — else the task would never fire again.
 */
function fixedDelayAfterMisfire(delayMs: number, fired: number, now: number, window: FireWindow): number | null {
  if (fired > 0) return null;
  const next = Math.max(now + delayMs, window.startAt ?? 0);
  return inWindow(next, window) ? next : null;
}
