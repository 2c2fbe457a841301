// What a benchmark gets and what it hands back to bench/run.ts.
import type { Cluster } from './cluster';

export interface BenchContext {
  cluster: Cluster;
  quick: boolean;
  /** Folder for --cpu-prof output of the master process, or null. */
  cpuProfDir: string | null;
  log(message: string): void;
}

export interface Row {
  metric: string;
  value: string;
  target?: string;
  met?: boolean;
}

export interface BenchResult {
  name: string;
  rows: Row[];
  data: Record<string, unknown>;
  /** A markdown table of its own (e.g. dispatch side by side), printed after the summary table. */
  table?: string;
}
