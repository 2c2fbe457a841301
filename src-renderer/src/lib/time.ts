// How times and durations read on screen: always with a date and a zone (issue 8), UTC and "how long ago" on hover.
export interface StampOptions {
  /** An IANA zone such as America/New_York; the viewer's own zone when absent. */
  timeZone?: string;
  locale?: string;
  /** Leaves the year out when it is this one, so table columns stay narrow. */
  now?: Date;
}

/** A moment with its date, time and zone abbreviation, e.g. "Nov 26, 15:48:28 GMT+1". */
export function stamp(iso: string | null, opts: StampOptions = {}): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const zone = opts.timeZone ? { timeZone: opts.timeZone } : {};
  const yearOf = (d: Date) => new Intl.DateTimeFormat('en', { year: 'numeric', ...zone }).format(d);
  const sameYear = opts.now !== undefined && yearOf(opts.now) === yearOf(date);
  return new Intl.DateTimeFormat(opts.locale, {
    ...(sameYear ? {} : { year: 'numeric' }),
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    timeZoneName: 'short', ...zone,
  }).format(date);
}

/** The same moment in UTC, as ISO 8601 reads: "2026-11-26 15:48:28 UTC". */
export function utcText(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The hover text of a time: its UTC form and how long ago (or how soon) it is. */
export function timeTitle(iso: string | null, now: number): string {
  return iso ? `${utcText(iso)} · ${ago(iso, now)}` : '';
}

/** A moment as the operator reads it in tables and details: date, time and the viewer's zone. */
export function clock(iso: string | null, now: Date = new Date()): string {
  return stamp(iso, { now });
}

export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return minutes < 60 ? `${minutes} m ${seconds} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} m`;
}

export function between(from: string | null, to: string | null): number | null {
  return from && to ? new Date(to).getTime() - new Date(from).getTime() : null;
}

/** "3 min ago" for the past, "in 3 min" for the future (next fires). */
export function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const delta = Math.round((now - new Date(iso).getTime()) / 1_000);
  const seconds = Math.abs(delta);
  const span = seconds < 60 ? `${seconds} s`
    : seconds < 3_600 ? `${Math.floor(seconds / 60)} min`
      : seconds < 86_400 ? `${Math.floor(seconds / 3_600)} h`
        : `${Math.floor(seconds / 86_400)} d`;
  return delta < 0 ? `in ${span}` : `${span} ago`;
}
