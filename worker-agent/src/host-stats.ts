// Host load for heartbeats: cpu is measured between two samples, since os.cpus() only gives totals.
import { cpus, freemem, loadavg, totalmem } from 'node:os';

export interface HostStats {
  cpu: number;
  memory: number;
  load1: number;
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Each call reports the cpu share used since the previous call (or since creation). */
export function hostSampler(): () => HostStats {
  let last = cpuTimes();
  return () => {
    const now = cpuTimes();
    const total = now.total - last.total;
    const cpu = total > 0 ? (now.busy - last.busy) / total : 0;
    last = now;
    return {
      cpu: clamp01(cpu),
      memory: clamp01(1 - freemem() / totalmem()),
      // Windows has no load average and reports 0.
      load1: Math.max(0, loadavg()[0] ?? 0),
    };
  };
}

function clamp01(n: number): number {
  return Math.min(1, Math.max(0, n));
}
