// What the preload exposes as `window.baton`: the renderer's tsconfig includes this file and nothing else of the main side.
import type { Reply } from './master/api/contract/client';

export interface BatonBridge {
  call(method: string, input: unknown): Promise<Reply>;
}

declare global {
  interface Window {
    baton?: BatonBridge;
  }
}
