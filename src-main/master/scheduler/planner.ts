// Fires time-triggered tasks precisely. Every second it reads the fires due in the next few seconds
// (tasks.next_fire_at, the durable schedule) into in-memory timers, one per distinct instant, as XXL-JOB
// pre-reads 5 s. Each fire moves next_fire_at by compare-and-set, so a fire happens once even across masters.
import type { Task } from '../api/contract/domain';
import type { Db } from '../db/store';
import { advanceNextFire, dueTasks } from '../db/tasks';
import type { Dispatcher } from '../dispatch/dispatcher';
import type { Logger } from '../log';
import { misfireEnumerationLimit, planDueFires } from './misfire';
import { firesBetween, nextFireAt, type FireWindow } from './triggers';

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

  constructor(private readonly deps: { db: Db; dispatcher: Dispatcher; log: Logger }) {}

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
    for (const task of await dueTasks(this.deps.db, now + LOOKAHEAD_MS)) {
      const planned = Date.parse(task.nextFireAt!);
      if (this.armed.get(task.id) === planned) continue;
      this.disarm(task.id);
      if (now - planned > task.misfire.thresholdMs) void this.misfire(task, planned, now);
      else this.arm(task, planned);
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
      void this.fire(task, planned).catch((error: unknown) => {
        this.deps.log.error({ err: error, task: task.name }, 'fire failed');
      });
    }
  }

  private async fire(task: Task, planned: number): Promise<void> {
    const next = followingFire(task, planned);
    if (!(await advanceNextFire(this.deps.db, task.id, new Date(planned), next === null ? null : new Date(next)))) return;
    await this.deps.dispatcher.fire(task, planned, 'schedule');
    if (next !== null && next - Date.now() < LOOKAHEAD_MS && this.ticker) this.arm({ ...task, nextFireAt: new Date(next).toISOString() }, next);
  }

  /** The master was down or late: apply the task's misfire policy to every fire it missed. */
  private async misfire(task: Task, planned: number, now: number): Promise<void> {
    const later = firesBetween(task.trigger, planned, now, misfireEnumerationLimit(task.misfire), { window: windowOf(task), anchorMs: planned });
    const plan = planDueFires([planned, ...later.fires], now, task.misfire);
    const next = nextFireAt(task.trigger, now, windowOf(task), { anchorMs: later.fires.at(-1) ?? planned });
    if (!(await advanceNextFire(this.deps.db, task.id, new Date(planned), next === null ? null : new Date(next)))) return;
    this.deps.log.warn({ task: task.name, policy: task.misfire.policy, fired: plan.fire.length, missed: plan.missed }, 'misfire handled');
    for (const f of plan.fire) await this.deps.dispatcher.fire(task, f.plannedAt, f.kind);
  }
}
