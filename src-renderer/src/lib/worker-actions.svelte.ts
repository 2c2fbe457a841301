// What an operator may do with a worker, shared by the workers list and the worker page: drain, disable, enable,
// delete. Drain and disable both stop new runs; drain is for taking a worker out of service (it reads `drained` once
// its runs have ended, then it can be stopped), disable keeps it out until enabled again, whatever runs.
import type { Worker, WorkerStatus } from '@contract';
import { Action } from './action.svelte';
import { api } from './api';

export type AdminSetting = 'enabled' | 'disabled' | 'draining';

/** Which buttons a worker in this status offers. */
export function workerActions(status: WorkerStatus): { enable: boolean; disable: boolean; drain: boolean; remove: boolean } {
  return {
    enable: status === 'disabled' || status === 'draining' || status === 'drained',
    disable: status !== 'disabled',
    drain: status === 'online',
    remove: status === 'offline',
  };
}

export const DRAIN_HINT = 'Take no new runs, let the runs in flight end, then show "drained": safe to stop the agent.';
export const DISABLE_HINT = 'Take no new runs until enabled again; runs in flight still finish.';

export class WorkerCommands {
  readonly action = new Action();

  setStatus(worker: Worker, status: AdminSetting): Promise<Worker | undefined> {
    return this.action.change(() => api.call('workers.setStatus', { id: worker.id, status }));
  }

  remove(worker: Worker): Promise<{ ok: true } | undefined> {
    return this.action.change(() => api.call('workers.delete', { id: worker.id }));
  }
}
