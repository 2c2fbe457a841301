// The peer systems of the side-by-side dispatch table, each run in turn on the same workload as Baton.
import type { BenchContext } from '../lib/types';
import { agenda } from './agenda';
import { bullmq } from './bullmq';
import { graphileWorker } from './graphile';
import { measurePeer } from './measure';
import type { Peer } from './peer';
import { pgBoss } from './pg-boss';
import type { Outcome } from './table';
import type { Workload } from './workload';

export const PEERS: readonly Peer[] = [bullmq, pgBoss, graphileWorker, agenda];

export type PeerSelection = { ok: true; peers: Peer[] } | { ok: false; error: { code: 'bad_bench_env'; message: string } };

/** BENCH_DISPATCH_PEERS: unset = all, "none" = Baton alone (e.g. while profiling), else a comma list of peer ids. */
export function selectPeers(raw: string | undefined): PeerSelection {
  if (raw === undefined || raw.trim() === '') return { ok: true, peers: [...PEERS] };
  if (raw.trim() === 'none') return { ok: true, peers: [] };
  const ids = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !PEERS.some((p) => p.id === id));
  if (unknown.length) {
    return { ok: false, error: { code: 'bad_bench_env', message: `BENCH_DISPATCH_PEERS names unknown peer(s) ${unknown.join(', ')}; use "none" or some of ${PEERS.map((p) => p.id).join(', ')}.` } };
  }
  return { ok: true, peers: PEERS.filter((p) => ids.includes(p.id)) };
}

export async function runPeers(ctx: BenchContext, peers: Peer[], w: Workload): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const peer of peers) {
    ctx.log(`dispatch: ${peer.name}`);
    const o = await measurePeer(ctx, peer, w);
    ctx.log(`dispatch: ${o.system}: ${o.kind === 'measured' ? `${Math.round(o.jobsPerS)} jobs/s` : o.kind === 'skipped' ? `skipped: ${o.reason}` : `failed: ${o.error}`}`);
    outcomes.push(o);
  }
  return outcomes;
}
