// Re-reads a screen's data when pushed events say it changed, at most once per `minGapMs` (a burst of a thousand
// run changes is one read, not a thousand), with a trailing read so the last change is never missed.
import type { ConsoleEvent, ConsoleEventKind } from '@contract';
import { onEvents } from './events';

export function refreshOnEvents(
  kinds: Array<Exclude<ConsoleEventKind, 'run.log' | 'sync'>>,
  concerns: (event: ConsoleEvent) => boolean,
  reload: () => Promise<void>,
  minGapMs: number,
): () => void {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    timer = null;
    last = Date.now();
    void reload();
  };
  const stop = onEvents(kinds, (event) => {
    if (event.kind !== 'sync' && !concerns(event)) return;
    if (timer) return;
    timer = setTimeout(fire, Math.max(0, last + minGapMs - Date.now()));
  });
  return () => {
    stop();
    if (timer) clearTimeout(timer);
  };
}
