// A run's log as the console keeps it: lines in batch order (seq), each batch once, whichever way it arrived (the
// first read, later pages, pushed events, a read again after a reconnect). Pure, so its order is unit-tested.
import type { RunLogLine } from '@contract';

/**
 * `known` with the batches of `incoming` it does not have yet, ordered by seq (a batch's lines keep their order).
 * Appending newer batches, the common case, costs one concat.
 */
export function mergeLog(known: readonly RunLogLine[], incoming: readonly RunLogLine[]): RunLogLine[] {
  if (incoming.length === 0) return known as RunLogLine[];
  const last = known.at(-1)?.seq ?? -Infinity;
  if (incoming.every((l) => l.seq > last) && isOrdered(incoming)) return [...known, ...incoming];
  const have = new Set(known.map((l) => l.seq));
  const fresh = incoming.filter((l) => !have.has(l.seq));
  if (fresh.length === 0) return known as RunLogLine[];
  // A stable sort keeps each batch's lines in the order they were written.
  return [...known, ...fresh].sort((a, b) => a.seq - b.seq);
}

function isOrdered(lines: readonly RunLogLine[]): boolean {
  for (let i = 1; i < lines.length; i++) if (lines[i]!.seq < lines[i - 1]!.seq) return false;
  return true;
}

/** The seq to read after: the last batch held (-1 before any). */
export function lastSeq(lines: readonly RunLogLine[]): number {
  return lines.at(-1)?.seq ?? -1;
}
