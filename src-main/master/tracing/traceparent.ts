// W3C Trace Context (https://www.w3.org/TR/trace-context/): a caller's `traceparent` is honoured, every run attempt
// is a span of its root run's trace. Pure: parsing and the span id a run attempt gets.
import crypto from 'node:crypto';

export interface TraceContext {
  traceId: string;
  /** The caller's span: the parent of the runs this call creates. */
  parentSpanId: string;
  sampled: boolean;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** version-traceid-parentid-flags; a later version may append fields after a `-` (spec §3.2.4). */
const HEADER = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The trace context a `traceparent` header carries, or null when it must be ignored (and a new trace started):
 * malformed, version ff, an all-zero id, or version 00 with extra fields. Case matters: the spec allows lowercase only.
 */
export function parseTraceparent(header: string | string[] | undefined): TraceContext | null {
  if (typeof header !== 'string') return null;
  const m = HEADER.exec(header.trim());
  if (!m) return null;
  const [, version, traceId, parentSpanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return null;
  return { traceId, parentSpanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/**
 * The span id of a run attempt: derived from its id, so the master's logs, the agent's logs and the `traceparent`
 * a handler sends agree without storing it. Each retry, reassignment, shard and child is a new run, hence a new span.
 */
export function spanIdOf(runId: string): string {
  const span = crypto.createHash('sha256').update(runId).digest('hex').slice(0, 16);
  return span === ZERO_SPAN ? '0000000000000001' : span;
}
