// Agent tokens: the secret is shown once and stored only as a SHA-256 hash; a token is `bt_<id>.<secret>`.
import crypto from 'node:crypto';
import { BatonError } from '../api/contract/errors';
import type { AgentToken } from '../api/contract/domain';
import { newId } from './ids';
import { iso, type Queryable } from './store';

interface TokenRow { id: string; label: string; hash: string; created_at: Date; revoked_at: Date | null; last_used_at: Date | null }

function toToken(r: TokenRow): AgentToken {
  return { id: r.id, label: r.label, createdAt: r.created_at.toISOString(), revokedAt: iso(r.revoked_at), lastUsedAt: iso(r.last_used_at) };
}

function hash(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

export async function createToken(db: Queryable, label: string): Promise<{ token: AgentToken; secret: string }> {
  const id = newId('tok');
  const secret = crypto.randomBytes(24).toString('base64url');
  const { rows } = await db.query<TokenRow>(
    'insert into agent_tokens (id, label, hash) values ($1, $2, $3) returning *', [id, label, hash(secret)],
  );
  return { token: toToken(rows[0]!), secret: `bt_${id}.${secret}` };
}

export async function listTokens(db: Queryable): Promise<AgentToken[]> {
  const { rows } = await db.query<TokenRow>('select * from agent_tokens order by created_at');
  return rows.map(toToken);
}

export async function revokeToken(db: Queryable, id: string): Promise<AgentToken> {
  const { rows } = await db.query<TokenRow>(
    'update agent_tokens set revoked_at = coalesce(revoked_at, now()) where id = $1 returning *', [id],
  );
  if (!rows[0]) throw new BatonError('not_found', `No token with id ${id}.`, 'id');
  return toToken(rows[0]);
}

/** The token's id when the presented secret matches a live token, else null. */
export async function verifyToken(db: Queryable, presented: string): Promise<string | null> {
  const match = /^bt_(tok_[0-9a-z]+)\.([A-Za-z0-9_-]+)$/.exec(presented);
  if (!match) return null;
  const [, id, secret] = match;
  const { rows } = await db.query<TokenRow>('select * from agent_tokens where id = $1 and revoked_at is null', [id]);
  const row = rows[0];
  if (!row) return null;
  const ok = crypto.timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash(secret!), 'hex'));
  if (!ok) return null;
  await db.query('update agent_tokens set last_used_at = now() where id = $1', [id]);
  return id!;
}
