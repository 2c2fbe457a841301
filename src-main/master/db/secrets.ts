// Bearer secrets (API keys, enrolment tokens, agent credentials): `bt_<id>.<secret>`, stored only as a SHA-256 hash.
import crypto from 'node:crypto';

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

/** A new secret for the row `id`: what the holder gets once, and what the database keeps. */
export function newSecret(id: string): { presented: string; hash: string } {
  const secret = crypto.randomBytes(24).toString('base64url');
  return { presented: `bt_${id}.${secret}`, hash: hashSecret(secret) };
}

/** The row id and secret of a presented `bt_<prefix>_….<secret>`, or null when it is not one of those prefixes. */
export function splitSecret(presented: string, prefixes: readonly string[]): { id: string; secret: string } | null {
  const match = /^bt_([a-z]{3}_[0-9a-z]{1,40})\.([A-Za-z0-9_-]{1,100})$/.exec(presented);
  if (!match || !prefixes.includes(match[1]!.slice(0, 3))) return null;
  return { id: match[1]!, secret: match[2]! };
}

/** Constant-time: whether `secret` is the one whose hash is stored. */
export function matches(storedHash: string, secret: string): boolean {
  return crypto.timingSafeEqual(Buffer.from(storedHash, 'hex'), Buffer.from(hashSecret(secret), 'hex'));
}
