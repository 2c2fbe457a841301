// One user action at a time per form or button group: tracks busy, and keeps the last error to show.
import type { BatonError } from '@contract';
import { asBatonError } from './failure';
import { live } from './live.svelte';

export class Action {
  busy = $state(false);
  error = $state.raw<BatonError | null>(null);

  /** Runs the call; returns its value, or undefined when it failed (the error is then in `error`). */
  async run<T>(call: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = null;
    try {
      return await call();
    } catch (error) {
      this.error = asBatonError(error);
      live.noteOutage(this.error);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  /** Runs a call that changes something on the master, then reloads what the pages show (even after a failure). */
  async change<T>(call: () => Promise<T>): Promise<T | undefined> {
    const value = await this.run(call);
    await live.refresh();
    return value;
  }

  clear(): void {
    this.error = null;
  }
}
