// API keys (read, operate, admin): the secret is shown once and stored only as a SHA-256 hash; a key is
// `bt_<id>.<secret>`. Agents have credentials of their own (agent-credentials.ts), which open no API door.
import fs from 'node:fs/promises';
import { BatonError } from '../api/contract/errors';
import type { Token, TokenScope } from '../api/contract/domain';
import { newId } from './ids';
import { matches, newSecret, splitSecret } from './secrets';
import { iso, type Queryable } from './store';

interface TokenRow {
  id: string; label: string; scope: TokenScope; hash: string; created_at: Date; revoked_at: Date | null; last_used_at: Date | null;
}

function toToken(r: TokenRow): Token {
  return {
    id: r.id, label: r.label, scope: r.scope, createdAt: r.created_at.toISOString(), revokedAt: iso(r.revoked_at), lastUsedAt: iso(r.last_used_at),
  };
}

export async function createToken(db: Queryable, label: string, scope: TokenScope): Promise<{ token: Token; secret: string }> {
  const id = newId('tok');
  const { presented, hash } = newSecret(id);
  const { rows } = await db.query<TokenRow>(
    'insert into tokens (id, label, scope, hash) values ($1, $2, $3, $4) returning *', [id, label, scope, hash],
  );
  return { token: toToken(rows[0]!), secret: presented };
}

export async function listTokens(db: Queryable): Promise<Token[]> {
  const { rows } = await db.query<TokenRow>('select * from tokens order by created_at');
  return rows.map(toToken);
}

export async function revokeToken(db: Queryable, id: string): Promise<Token> {
  const { rows } = await db.query<TokenRow>(
    'update tokens set revoked_at = coalesce(revoked_at, now()) where id = $1 returning *', [id],
  );
  if (!rows[0]) throw new BatonError('not_found', `No token with id ${id}.`, 'id');
  return toToken(rows[0]);
}

export type TokenCheck = { ok: true; id: string; scope: TokenScope } | { ok: false };

export async function verifyToken(db: Queryable, presented: string): Promise<TokenCheck> {
  const split = splitSecret(presented, ['tok']);
  if (!split) return { ok: false };
  const { rows } = await db.query<TokenRow>('select * from tokens where id = $1 and revoked_at is null', [split.id]);
  const row = rows[0];
  if (!row || !matches(row.hash, split.secret)) return { ok: false };
  await db.query('update tokens set last_used_at = now() where id = $1', [split.id]);
  return { ok: true, id: split.id, scope: row.scope };
}

/**
 * A live token whose secret sits in a file only this machine's user can read (the local agent's token, a
 * master's API key); made anew when the file is gone or its token was revoked. The file is the only record
 * of which token it is, so masters sharing a database each keep their own.
 */
export async function keepTokenInFile(db: Queryable, opts: { file: string; label: string; scope: TokenScope }): Promise<string> {
  const kept = await fs.readFile(opts.file, 'utf8').then((s) => s.trim(), () => null);
  const check = kept ? await verifyToken(db, kept) : null;
  if (kept && check?.ok && check.scope === opts.scope) return kept;
  const { secret } = await createToken(db, opts.label, opts.scope);
  await fs.writeFile(opts.file, secret, { mode: 0o600 });
  return secret;
}
