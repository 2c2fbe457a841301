// The colour each run state and worker status is shown in.
import type { RunState, WorkerStatus } from '@contract';

export type Tone = 'ok' | 'bad' | 'warn' | 'busy' | 'muted';

export function runTone(state: RunState): Tone {
  switch (state) {
    case 'succeeded': return 'ok';
    case 'failed': case 'timed_out': case 'lost': return 'bad';
    case 'cancelled': case 'skipped': return 'muted';
    case 'scheduled': case 'queued': case 'assigned': return 'warn';
    case 'running': return 'busy';
    default: {
      const unknown: never = state;
      return unknown;
    }
  }
}

export function workerTone(status: WorkerStatus): Tone {
  switch (status) {
    case 'online': return 'ok';
    case 'offline': return 'bad';
    case 'draining': return 'warn';
    case 'disabled': case 'drained': return 'muted';
    default: {
      const unknown: never = status;
      return unknown;
    }
  }
}
