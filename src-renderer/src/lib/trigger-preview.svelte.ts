// The next fires of the trigger being edited, asked of the master (triggers.preview) a moment after typing stops,
// so the editor shows exactly what the planner will do, DST included, and the master's own error for a bad cron.
import type { BatonError, TriggerPreview, TriggerPreviewInput } from '@contract';
import { api } from './api';
import { asBatonError } from './failure';

const SETTLE_MS = 250;

export class TriggerPreviewer {
  preview = $state.raw<TriggerPreview | null>(null);
  error = $state.raw<BatonError | null>(null);
  #timer: ReturnType<typeof setTimeout> | null = null;
  #asked = 0;

  /** Asks for `input` after a pause; null clears. Returns the disposer an $effect needs. */
  ask(input: TriggerPreviewInput | null): () => void {
    if (this.#timer) clearTimeout(this.#timer);
    const ticket = ++this.#asked;
    if (input === null) {
      this.preview = null;
      this.error = null;
      return () => undefined;
    }
    this.#timer = setTimeout(() => void this.#load(input, ticket), SETTLE_MS);
    return () => {
      if (this.#timer) clearTimeout(this.#timer);
    };
  }

  async #load(input: TriggerPreviewInput, ticket: number): Promise<void> {
    try {
      const preview = await api.call('triggers.preview', input);
      if (ticket !== this.#asked) return; // an older answer than what is on screen now
      this.preview = preview;
      this.error = null;
    } catch (error) {
      if (ticket !== this.#asked) return;
      this.preview = null;
      this.error = asBatonError(error);
    }
  }
}
