// The HTTP API's door: asks for an API key where the rules say so, checks it against the tokens table and
// answers with the key's scope (a loopback client exempted by `BATON_API_AUTH=remote` acts as admin).
import type http from 'node:http';
import type { WireError } from '../api/contract/errors';
import type { ApiScope } from '../api/contract/scopes';
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
  return (req) => admitKey(db, mode, req.socket.remoteAddress, req.headers.authorization);
}

/** The key check of every door (the HTTP API, the console's event socket): the client's address and its `Authorization` value. */
export async function admitKey(db: Queryable, mode: ApiAuth, address: string | undefined, authorization: string | undefined): Promise<Admitted> {
  // A client that needs no key but sends one still has it checked: a revoked key must not seem to work.
  if (!keyRequired(mode, address) && authorization === undefined) return { ok: true, scope: 'admin' };
  const key = bearerKey(authorization);
  if (!key) return refused(`This master needs an API key from ${address ?? 'this client'}. ${HOW}`);
  const check = await verifyToken(db, key);
  if (check.ok) return { ok: true, scope: check.scope };
  return refused(`${notAnApiKey(key)} ${HOW}`);
}

/** Agents' secrets look alike but open no API door: say which one was sent, without echoing it. */
function notAnApiKey(key: string): string {
  if (key.startsWith('bt_crd_')) return 'That is an agent credential, not an API key.';
  if (key.startsWith('bt_enr_')) return 'That is an enrolment token, not an API key.';
  return 'The API key is unknown or revoked.';
}
