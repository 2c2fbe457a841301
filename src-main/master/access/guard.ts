// The HTTP API's door: asks for an API key where the rules say so and checks it against the tokens table.
import type http from 'node:http';
import type { WireError } from '../api/contract/errors';
import type { Queryable } from '../db/store';
import { verifyToken } from '../db/tokens';
import { bearerKey, keyRequired, type ApiAuth } from './rules';

export type Authorize = (req: http.IncomingMessage) => Promise<WireError | null>;

const HOW = 'Send an API key as `Authorization: Bearer <key>`: the first one is in the master\'s data folder (file api-key); '
  + 'make more in the console (Tokens) or with `baton-master token create <label> --scope api`.';

export function apiGuard(db: Queryable, mode: ApiAuth): Authorize {
  return async (req) => {
    // A client that needs no key but sends one still has it checked: a revoked key must not seem to work.
    if (!keyRequired(mode, req.socket.remoteAddress) && req.headers.authorization === undefined) return null;
    const key = bearerKey(req.headers.authorization);
    if (!key) return { code: 'unauthorized', message: `This master needs an API key from ${req.socket.remoteAddress ?? 'this client'}. ${HOW}` };
    const check = await verifyToken(db, key, 'api');
    if (check.ok) return null;
    const what = check.otherScope === 'agent' ? 'That is an agent token, not an API key.' : 'The API key is unknown or revoked.';
    return { code: 'unauthorized', message: `${what} ${HOW}` };
  };
}
