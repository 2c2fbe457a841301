// The HTTP API's door: asks for an API key where the rules say so, checks it against the tokens table and
// answers with the key's scope (a loopback client exempted by `BATON_API_AUTH=remote` acts as admin).
import type http from 'node:http';
import type { WireError } from '../api/contract/errors';
import { isApiScope, type ApiScope } from '../api/contract/scopes';
import type { Queryable } from '../db/store';
import { verifyToken } from '../db/tokens';
import { bearerKey, keyRequired, type ApiAuth } from './rules';

export type Admitted = { ok: true; scope: ApiScope } | { ok: false; error: WireError };
export type Authorize = (req: http.IncomingMessage) => Promise<Admitted>;

const HOW = 'Send an API key as `Authorization: Bearer <key>`: the first one is in the master\'s data folder (file api-key); '
  + 'make more in the console (Tokens) or with `baton-master token create <label> --scope read|operate|admin`.';

function refused(message: string): Admitted {
  return { ok: false, error: { code: 'unauthorized', message } };
}

export function apiGuard(db: Queryable, mode: ApiAuth): Authorize {
  return async (req) => {
    // A client that needs no key but sends one still has it checked: a revoked key must not seem to work.
    if (!keyRequired(mode, req.socket.remoteAddress) && req.headers.authorization === undefined) return { ok: true, scope: 'admin' };
    const key = bearerKey(req.headers.authorization);
    if (!key) return refused(`This master needs an API key from ${req.socket.remoteAddress ?? 'this client'}. ${HOW}`);
    const check = await verifyToken(db, key, 'api');
    if (check.ok && isApiScope(check.scope)) return { ok: true, scope: check.scope };
    const what = !check.ok && check.otherScope === 'agent' ? 'That is an agent token, not an API key.' : 'The API key is unknown or revoked.';
    return refused(`${what} ${HOW}`);
  };
}
