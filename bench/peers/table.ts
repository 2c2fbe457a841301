// The side-by-side dispatch table (issue 11): every system's jobs/s end to end and the ratios, as plain data in, text out.
import { assertNever } from '../../src-main/master/assert-never';

export type SystemId = 'baton' | 'bullmq' | 'pg-boss' | 'graphile-worker' | 'agenda';

export type Outcome =
  | { id: SystemId; system: string; kind: 'measured'; jobsPerS: number; seconds: number; finished: number; expected: number; note: string }
  | { id: SystemId; system: string; kind: 'skipped'; reason: string; note: string }
  | { id: SystemId; system: string; kind: 'failed'; error: string; note: string };

type Measured = Extract<Outcome, { kind: 'measured' }>;

export const STRETCH = 1.5;
export const TARGET_LABEL = `Baton ≥ BullMQ (stretch ${STRETCH}×)`;

const rate = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (n: number) => `${n.toFixed(2)}×`;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function measured(outcomes: Outcome[], id: SystemId): Measured | null {
  const o = outcomes.find((x) => x.id === id);
  return o?.kind === 'measured' && o.jobsPerS > 0 ? o : null;
}

function throughput(o: Outcome): string {
  switch (o.kind) {
    case 'measured': return `${rate(o.jobsPerS)} (${o.seconds.toFixed(2)} s)`;
    case 'skipped': return `skipped: ${o.reason}`;
    case 'failed': return `failed: ${o.error}`;
    default: return assertNever(o, 'outcome');
  }
}

function notes(o: Outcome): string {
  if (o.kind !== 'measured' || o.finished >= o.expected) return o.note;
  return `**only ${o.finished.toLocaleString('en-US')} of ${o.expected.toLocaleString('en-US')} finished**; ${o.note}`;
}

/** The target verdict: Baton's jobs/s over BullMQ's in the same run; no verdict when either was not measured. */
export function batonVsBullmq(outcomes: Outcome[]): { value: string; met?: boolean } {
  const baton = measured(outcomes, 'baton');
  const bullmq = measured(outcomes, 'bullmq');
  if (!baton || !bullmq) {
    const missing = outcomes.find((o) => (o.id === 'baton' || o.id === 'bullmq') && o.kind !== 'measured');
    return { value: `not measured (${missing ? `${missing.system}: ${throughput(missing)}` : 'Baton or BullMQ absent'})` };
  }
  const r = baton.jobsPerS / bullmq.jobsPerS;
  const complete = baton.finished >= baton.expected;
  const stretch = r >= STRETCH ? `stretch ${STRETCH}× met` : `stretch ${STRETCH}× missed`;
  const incomplete = complete ? '' : `; Baton finished only ${baton.finished} of ${baton.expected}`;
  return { value: `${ratio(r)}: Baton ${rate(baton.jobsPerS)} vs BullMQ ${rate(bullmq.jobsPerS)} jobs/s; ${stretch}${incomplete}`, met: complete && r >= 1 };
}

/** One markdown table: system, jobs/s end to end, ratio to BullMQ, ratio Baton/system, notes; then the target row. */
export function sideBySide(outcomes: Outcome[], workload: string): string {
  const baton = measured(outcomes, 'baton');
  const bullmq = measured(outcomes, 'bullmq');
  const lines = [
    `Dispatch side by side: ${workload}; end to end = first enqueue to the last result seen stored (polled every 50 ms).`,
    '',
    '| system | jobs/s end to end | ÷ BullMQ | Baton ÷ system | notes |',
    '|---|---|---|---|---|',
  ];
  for (const o of outcomes) {
    const m = o.kind === 'measured' && o.jobsPerS > 0 ? o : null;
    const toBullmq = m && bullmq ? ratio(m.jobsPerS / bullmq.jobsPerS) : '–';
    const batonOver = m && baton && o.id !== 'baton' ? ratio(baton.jobsPerS / m.jobsPerS) : '–';
    lines.push(`| ${cell(o.system)} | ${cell(throughput(o))} | ${toBullmq} | ${batonOver} | ${cell(notes(o))} |`);
  }
  const verdict = batonVsBullmq(outcomes);
  const met = verdict.met === undefined ? 'no verdict' : verdict.met ? 'met' : '**missed**';
  lines.push(`| **${TARGET_LABEL}** | ${met} | | | ${cell(verdict.value)} |`);
  return lines.join('\n');
}
