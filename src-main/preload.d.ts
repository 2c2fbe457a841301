// What the preload exposes as `window.baton`: the renderer's tsconfig includes this file and nothing else of the main side.
import type { Reply } from './master/api/contract/client';
import type { ConsoleEvent, EventTopic } from './master/api/contract/events';

export interface BatonBridge {
  call(method: string, input: unknown): Promise<Reply>;
  /** Console events of the watched topics; returns how to stop listening. */
  onEvent(handler: (event: ConsoleEvent) => void): () => void;
  watch(topics: EventTopic[]): void;
  unwatch(topics: EventTopic[]): void;
}

declare global {
  interface Window {
    baton?: BatonBridge;
  }
}
