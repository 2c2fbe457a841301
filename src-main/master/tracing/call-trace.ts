// The trace context of the API call being served, so the handler that creates runs can join the caller's trace
// without every transport and handler signature carrying it. Read only by handlers that start runs.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TraceContext } from './traceparent';

const current = new AsyncLocalStorage<TraceContext | null>();

export function withCallTrace<T>(trace: TraceContext | null, work: () => T): T {
  return current.run(trace, work);
}

/** The caller's trace context, or undefined outside a call that carried a valid `traceparent`. */
export function callTrace(): TraceContext | undefined {
  return current.getStore() ?? undefined;
}
