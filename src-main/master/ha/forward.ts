// A follower hands the calls that act (not just read) to the leader over its HTTP API, with its own API key,
// so a console or script may talk to any master of the cluster.
import type { Reply } from '../api/contract/client';
import type { WireError } from '../api/contract/errors';
import { FORWARDED_HEADER } from '../api/http';

const FORWARD_TIMEOUT_MS = 30_000;

function unavailable(message: string): Reply {
  const error: WireError = { code: 'unavailable', message };
  return { ok: false, error };
}

/** A master that does not lead got a call another master handed it: their views of the lease disagree for now. */
export function notLeaderEither(method: string): Reply {
  return unavailable(`Leadership is changing hands, so ${method} cannot run right now; try again in a few seconds.`);
}

export async function forwardToLeader(leaderUrl: string | null, apiKey: string, method: string, input: unknown): Promise<Reply> {
  if (!leaderUrl) return unavailable(`No master leads right now, so ${method} cannot run; a master takes over within seconds — try again shortly.`);
  try {
    const res = await fetch(`${leaderUrl}/api/${encodeURIComponent(method)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, [FORWARDED_HEADER]: '1' },
      body: JSON.stringify(input ?? {}),
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
    return (await res.json()) as Reply;
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return unavailable(`The leader at ${leaderUrl} could not be reached for ${method} (${e.cause?.code ?? e.message}); if it died, a master takes over within seconds — try again shortly.`);
  }
}
