// Enrolment tokens: an operator issues one for a group; agents exchange it for their own credential (agent-credentials.ts).
import { BatonError } from '../api/contract/errors';
import type { Enrolment } from '../api/contract/domain';
import type { EnrolmentFacts } from '../agents/identity-rules';
import { getGroup } from './groups';
import { newId } from './ids';
import { matches, newSecret, splitSecret } from './secrets';
import { inTransaction, iso, type Db, type Queryable } from './store';

export interface EnrolmentRow {
  id: string; label: string; group_id: string | null; hash: string; single_use: boolean; expires_at: Date | null; uses: number;
  created_at: Date; revoked_at: Date | null; last_used_at: Date | null;
}

function toEnrolment(r: EnrolmentRow): Enrolment {
  return {
    id: r.id, label: r.label, groupId: r.group_id, singleUse: r.single_use, expiresAt: iso(r.expires_at), uses: r.uses,
    createdAt: r.created_at.toISOString(), revokedAt: iso(r.revoked_at), lastUsedAt: iso(r.last_used_at),
  };
}

export function enrolmentFacts(r: EnrolmentRow): EnrolmentFacts {
  return { groupId: r.group_id, singleUse: r.single_use, uses: r.uses, expiresAt: r.expires_at?.getTime() ?? null, revoked: r.revoked_at !== null };
}

export async function createEnrolment(
  db: Queryable, input: { label: string; groupId: string; singleUse: boolean; expiresInMs?: number },
): Promise<{ enrolment: Enrolment; secret: string }> {
  await getGroup(db, input.groupId).catch((error: unknown) => {
    throw error instanceof BatonError ? new BatonError('not_found', error.message, 'groupId') : error;
  });
  const id = newId('enr');
  const { presented, hash } = newSecret(id);
  const { rows } = await db.query<EnrolmentRow>(
    `insert into enrolments (id, label, group_id, hash, single_use, expires_at)
     values ($1, $2, $3, $4, $5, case when $6::bigint is null then null else now() + make_interval(secs => $6::bigint / 1000.0) end)
     returning *`,
    [id, input.label, input.groupId, hash, input.singleUse, input.expiresInMs ?? null],
  );
  return { enrolment: toEnrolment(rows[0]!), secret: presented };
}

export async function listEnrolments(db: Queryable): Promise<Enrolment[]> {
  const { rows } = await db.query<EnrolmentRow>('select * from enrolments order by created_at');
  return rows.map(toEnrolment);
}

/** Revoked enrolment tokens make no more credentials; the ones they made are revoked too unless kept. */
export async function revokeEnrolment(db: Db, id: string, keepCredentials: boolean): Promise<Enrolment> {
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<EnrolmentRow>(
      'update enrolments set revoked_at = coalesce(revoked_at, now()) where id = $1 returning *', [id],
    );
    if (!rows[0]) throw new BatonError('not_found', `No enrolment token with id ${id}.`, 'id');
    if (!keepCredentials) {
      await client.query('update agent_credentials set revoked_at = now() where enrolment_id = $1 and revoked_at is null', [id]);
    }
    return toEnrolment(rows[0]);
  });
}

/** The enrolment row a presented token names, locked for the exchange, if its secret matches. */
export async function lockPresentedEnrolment(client: Queryable, presented: string): Promise<EnrolmentRow | null> {
  // `tok_`: agent tokens from before enrolment tokens existed kept their id (migration 8).
  const parts = splitSecret(presented, ['enr', 'tok']);
  if (!parts) return null;
  const { rows } = await client.query<EnrolmentRow>('select * from enrolments where id = $1 for update', [parts.id]);
  const row = rows[0];
  return row && matches(row.hash, parts.secret) ? row : null;
}

export async function markEnrolmentUsed(client: Queryable, id: string): Promise<void> {
  await client.query('update enrolments set uses = uses + 1, last_used_at = now() where id = $1', [id]);
}
