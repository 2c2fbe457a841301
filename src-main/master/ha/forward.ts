// A follower hands the calls that act (not just read) to the leader over its HTTP API, with its own API key,
// so a console or script may talk to any master of the cluster.
import { unavailableReply, type Reply } from '../api/contract/client';
import { FORWARDED_HEADER } from '../api/http';
import { httpTransport } from '../api/contract/http-client';

/** A master that does not lead got a call another master handed it: their views of the lease disagree for now. */
export function notLeaderEither(method: string): Reply {
  return unavailableReply(`Leadership is changing hands, so ${method} cannot run right now; try again in a few seconds.`);
}

/**
 * `trusting`: the fetch that verifies an HTTPS leader with the configured CA (BATON_TLS_CA); `traceparent`: the
 * caller's trace context, handed on so runs the leader creates join the caller's trace.
 */
export async function forwardToLeader(
  leaderUrl: string | null, apiKey: string, method: string, input: unknown, opts: { trusting?: typeof fetch; traceparent?: string } = {},
): Promise<Reply> {
  if (!leaderUrl) return unavailableReply(`No master leads right now, so ${method} cannot run; a master takes over within seconds — try again shortly.`);
  const headers: Record<string, string> = { [FORWARDED_HEADER]: '1' };
  if (opts.traceparent) headers.traceparent = opts.traceparent;
  const send = httpTransport(leaderUrl, {
    apiKey, headers, fetch: opts.trusting, hint: 'if the leader died, a master takes over within seconds — try again shortly',
  });
  return send(method, input);
}
