// The runs list's state (issue 8): filters, the page shown (server-side cursors), its total, and live updates of
// the newest page from run events (debounced, one read at a time). Older pages stay still while read.
import type { BatonError, RunFamily, RunPage, RunPageInput } from '@contract';
import { api } from './api';
import { onEvents } from './events';
import { asBatonError } from './failure';

export type RunFilters = Omit<RunPageInput, 'cursor' | 'limit'>;

const PAGE_SIZE = 50;
const DEBOUNCE_MS = 1_000;

export class RunList {
  filters = $state.raw<RunFilters>({});
  runs = $state.raw<RunFamily[]>([]);
  total = $state.raw<RunPage['total'] | null>(null);
  next = $state.raw<string | null>(null);
  /** Cursors of the pages before the one shown; empty on the newest page. */
  previous = $state.raw<Array<string | undefined>>([]);
  loading = $state(false);
  error = $state.raw<BatonError | null>(null);
  /** Runs changed since the shown older page was read: the newest page has news. */
  newer = $state(false);

  #cursor: string | undefined = undefined;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #reading: Promise<void> | null = null;
  #again = false;

  /** Follows run events until the returned disposer is called. */
  start(): () => void {
    const stop = onEvents(['run.changed'], () => {
      if (this.#cursor !== undefined) {
        this.newer = true;
        return;
      }
      if (this.#timer) return;
      this.#timer = setTimeout(() => { this.#timer = null; void this.read(); }, DEBOUNCE_MS);
    });
    void this.read();
    return () => {
      stop();
      if (this.#timer) clearTimeout(this.#timer);
    };
  }

  setFilters(filters: RunFilters): void {
    this.filters = filters;
    this.first();
  }

  first(): void {
    this.#cursor = undefined;
    this.previous = [];
    this.newer = false;
    void this.read();
  }

  older(): void {
    if (!this.next) return;
    this.previous = [...this.previous, this.#cursor];
    this.#cursor = this.next;
    void this.read();
  }

  newerPage(): void {
    if (this.previous.length === 0) return;
    this.#cursor = this.previous.at(-1);
    this.previous = this.previous.slice(0, -1);
    if (this.#cursor === undefined) this.newer = false;
    void this.read();
  }

  /** Reads the page shown; a call during a read makes one more read after it. */
  async read(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    const filters = this.filters;
    const cursor = this.#cursor;
    this.loading = true;
    this.#reading = (async () => {
      try {
        const page = await api.call('runs.page', { ...filters, limit: PAGE_SIZE, cursor });
        if (filters !== this.filters || cursor !== this.#cursor) return;
        this.runs = page.runs;
        // Later pages are not counted again: the first page's total stands.
        if (page.total) this.total = page.total;
        this.next = page.next;
        this.error = null;
      } catch (error) {
        this.error = asBatonError(error);
      } finally {
        this.loading = false;
      }
    })();
    await this.#reading;
    this.#reading = null;
    if (this.#again) {
      this.#again = false;
      await this.read();
    }
  }
}
