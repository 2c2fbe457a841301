// When a task's trigger fires: validation of cron / zone / date, the next fire, and fires in a range.
// Cron expressions have 6 fields, seconds first, evaluated in their IANA zone by croner.
import { Cron } from 'croner';
import type { Trigger } from '../api/contract/domain';
import { unknownZoneMessage } from '../api/contract/task-console';
import { assertNever } from '../assert-never';
import { CronCache } from './cron-cache';

export type TriggerCheck = { ok: true } | { ok: false; field: string; message: string };

/** Both ends inclusive; null = open. */
export interface FireWindow { startAt: number | null; endAt: number | null }

export interface FireOptions {
  /**
   * fixed_rate fires at anchorMs + k·intervalMs (k >= 1), computed from the anchor rather than from the
   * previous fire, so lateness never accumulates. Pass the task's creation time.
   * Without it: window.startAt, else the epoch (fires on epoch-aligned multiples).
   */
  anchorMs?: number;
}

const CRON_FIELDS = 'second minute hour day-of-month month day-of-week';

export function checkTrigger(trigger: Trigger): TriggerCheck {
  switch (trigger.type) {
    case 'cron':
      return checkCron(trigger.expression, trigger.timezone);
    case 'once':
      return Number.isNaN(Date.parse(trigger.at))
        ? { ok: false, field: 'trigger.at', message: `'${trigger.at}' is not a date; use ISO 8601 with an offset, e.g. 2030-01-31T09:00:00+01:00` }
        : { ok: true };
    case 'fixed_rate':
    case 'fixed_delay':
    case 'api':
    case 'parent': // parent links are checked against the whole graph by dag.findCycle
      return { ok: true };
    default:
      return assertNever(trigger, 'trigger');
  }
}

function checkCron(expression: string, timezone: string): TriggerCheck {
  const field = 'trigger.expression';
  const count = expression.trim().split(/\s+/).length;
  if (count !== 6) {
    return { ok: false, field, message: `a cron expression needs 6 fields, seconds first (${CRON_FIELDS}), e.g. '0 */5 * * * *'; '${expression}' has ${count}` };
  }
  if (!isKnownZone(timezone)) {
    return { ok: false, field: 'trigger.timezone', message: unknownZoneMessage(timezone) };
  }
  let cron: Cron;
  try {
    cron = cronFor(expression, timezone);
  } catch (e) {
    return { ok: false, field, message: `invalid cron expression '${expression}' (fields: ${CRON_FIELDS}): ${cronerReason(e)}` };
  }
  // A day that never comes (e.g. 30 February) parses fine but would silently never fire.
  if (cron.nextRun(new Date(0)) === null) return { ok: false, field, message: `cron expression '${expression}' never fires` };
  return { ok: true };
}

/**
 * croner's parse error, minus its class prefix. croner stores day-of-month and month 0-based and reports
 * the stored value ("month: 12" for a typed 13), so those are shifted back to what the operator wrote.
 */
function cronerReason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e))
    .replace(/^CronPattern:\s*/, '')
    .replace(/Invalid value for (month|day): (-?\d+)/, (_m, part: string, n: string) => `Invalid value for ${part}: ${Number(n) + 1}`);
}

export function isKnownZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first fire strictly after `afterMs` that lies in `window`, or null if there is none.
 * api and parent triggers never fire on time, and fixed_delay depends on when the previous run
 * ended (see fixedDelayNext), so they return null.
 */
export function nextFireAt(trigger: Trigger, afterMs: number, window: FireWindow, opts: FireOptions = {}): number | null {
  // Strictly after startAt − 1 = at or after startAt: a fire exactly at startAt counts.
  const from = window.startAt === null ? afterMs : Math.max(afterMs, window.startAt - 1);
  const next = nextRaw(trigger, from, window, opts);
  return next !== null && inWindow(next, window) ? next : null;
}

/** fixed_delay: the next fire is `delayMs` after the previous run ended (whatever its outcome). */
export function fixedDelayNext(endedAtMs: number, delayMs: number): number {
  return endedAtMs + delayMs;
}

export function inWindow(t: number, window: FireWindow): boolean {
  return (window.startAt === null || t >= window.startAt) && (window.endAt === null || t <= window.endAt);
}

export interface FireList {
  /** Ascending. */
  fires: number[];
  /** True when earlier fires in the range were left out to respect `limit`. */
  truncated: boolean;
}

/**
 * Fires in (fromMs, toMs] inside `window`, at most `limit`, keeping the LATEST ones: misfire handling
 * only ever replays the most recent fires, and after a long outage the range can hold millions.
 * Size `limit` with misfire.misfireEnumerationLimit(). Triggers that never fire on time give [].
 */
export function firesBetween(
  trigger: Trigger, fromMs: number, toMs: number, limit: number, opts: FireOptions & { window?: FireWindow } = {},
): FireList {
  const window = opts.window ?? { startAt: null, endAt: null };
  const lo = window.startAt === null ? fromMs : Math.max(fromMs, window.startAt - 1);
  const hi = window.endAt === null ? toMs : Math.min(toMs, window.endAt);
  if (hi <= lo) return { fires: [], truncated: false };
  const keep = Math.max(0, limit);
  const found = latestRaw(trigger, lo, hi, keep + 1, window, opts); // one extra tells whether we cut
  return { fires: found.slice(found.length - Math.min(keep, found.length)), truncated: found.length > keep };
}

function nextRaw(trigger: Trigger, from: number, window: FireWindow, opts: FireOptions): number | null {
  switch (trigger.type) {
    case 'cron':
      return cronFor(trigger.expression, trigger.timezone).nextRun(new Date(from))?.getTime() ?? null;
    case 'fixed_rate': {
      const anchor = anchorOf(window, opts);
      const k = Math.max(1, Math.floor((from - anchor) / trigger.intervalMs) + 1);
      return anchor + k * trigger.intervalMs;
    }
    case 'once': {
      const at = Date.parse(trigger.at);
      return at > from ? at : null;
    }
    case 'fixed_delay':
    case 'api':
    case 'parent':
      return null;
    default:
      return assertNever(trigger, 'trigger');
  }
}

/** Up to `n` latest fires in (lo, hi], ascending. */
function latestRaw(trigger: Trigger, lo: number, hi: number, n: number, window: FireWindow, opts: FireOptions): number[] {
  switch (trigger.type) {
    case 'cron':
      // previousRuns is strictly before its reference: hi + 1 makes hi itself count.
      return cronFor(trigger.expression, trigger.timezone)
        .previousRuns(n, new Date(hi + 1))
        .map((d) => d.getTime())
        .filter((t) => t > lo)
        .reverse();
    case 'fixed_rate': {
      const anchor = anchorOf(window, opts);
      const first = Math.max(1, Math.floor((lo - anchor) / trigger.intervalMs) + 1);
      const last = Math.floor((hi - anchor) / trigger.intervalMs);
      const out: number[] = [];
      for (let k = Math.max(first, last - n + 1); k <= last; k++) out.push(anchor + k * trigger.intervalMs);
      return out;
    }
    case 'once': {
      const at = Date.parse(trigger.at);
      return at > lo && at <= hi ? [at] : [];
    }
    case 'fixed_delay':
    case 'api':
    case 'parent':
      return [];
    default:
      return assertNever(trigger, 'trigger');
  }
}

function anchorOf(window: FireWindow, opts: FireOptions): number {
  return opts.anchorMs ?? window.startAt ?? 0;
}

const cache = new CronCache();

function cronFor(expression: string, timezone: string): Cron {
  return cache.get(expression, timezone);
}
