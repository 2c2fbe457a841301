// The one shape every transport gives the console: call a method by name, get its output or a BatonError.
import { BatonError, isWireError, type WireError } from './errors';
import type { MethodInput, MethodName, MethodOutput } from './methods';

export interface ApiClient {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
}

/** A transport's raw reply: either the output or a wire error, never a thrown Error. */
export type Reply = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The reply of a transport that could not get one from the master (unreachable, no leader, a loop refused). */
export function unavailableReply(message: string): Reply {
  const error: WireError = { code: 'unavailable', message };
  return { ok: false, error };
}

/** Builds a client over any function that sends (method, input) and returns a Reply. */
export function clientOver(send: (method: string, input: unknown) => Promise<Reply>): ApiClient {
  return {
    async call(method, input) {
      const reply = await send(method, input);
      if (reply.ok) return reply.value as never;
      throw isWireError(reply.error)
        ? BatonError.fromWire(reply.error)
        : new BatonError('internal', `The master sent an unreadable error for ${method}.`);
    },
  };
}
