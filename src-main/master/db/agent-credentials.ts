// Agent credentials: one per worker identity (group + name), made by exchanging an enrolment token once.
import { BatonError } from '../api/contract/errors';
import type { AgentCredential } from '../api/contract/domain';
import { enrolmentRefusal, type CredentialFacts, type Refused } from '../agents/identity-rules';
import { enrolmentFacts, lockPresentedEnrolment, markEnrolmentUsed } from './enrolments';
import { findGroupByName } from './groups';
import { newId } from './ids';
import { matches, newSecret, splitSecret } from './secrets';
import { inTransaction, iso, type Db, type Queryable } from './store';

interface CredentialRow {
  id: string; group_id: string; worker_name: string; enrolment_id: string | null; hash: string;
  created_at: Date; revoked_at: Date | null; last_used_at: Date | null;
}

function toCredential(r: CredentialRow): AgentCredential {
  return {
    id: r.id, groupId: r.group_id, workerName: r.worker_name, enrolmentId: r.enrolment_id,
    createdAt: r.created_at.toISOString(), revokedAt: iso(r.revoked_at), lastUsedAt: iso(r.last_used_at),
  };
}

export async function listCredentials(db: Queryable): Promise<AgentCredential[]> {
  const { rows } = await db.query<CredentialRow>('select * from agent_credentials order by created_at');
  return rows.map(toCredential);
}

export async function revokeCredential(db: Queryable, id: string): Promise<AgentCredential> {
  const { rows } = await db.query<CredentialRow>(
    'update agent_credentials set revoked_at = coalesce(revoked_at, now()) where id = $1 returning *', [id],
  );
  if (!rows[0]) throw new BatonError('not_found', `No agent credential with id ${id}.`, 'id');
  return toCredential(rows[0]);
}

async function insertCredential(db: Queryable, groupId: string, workerName: string, enrolmentId: string | null): Promise<string> {
  const id = newId('crd');
  const { presented, hash } = newSecret(id);
  await db.query(
    'insert into agent_credentials (id, group_id, worker_name, enrolment_id, hash) values ($1, $2, $3, $4, $5)',
    [id, groupId, workerName, enrolmentId, hash],
  );
  return presented;
}

const UNIQUE_VIOLATION = '23505';

export type Exchange = { ok: true; credential: string } | { ok: false; refusal: Refused };

/** Trades an enrolment token for a credential bound to `name` in `group`; nothing changes when refused. */
export async function exchangeEnrolment(db: Db, ask: { token: string; group: string; name: string }, now: number): Promise<Exchange> {
  try {
    return await inTransaction(db, async (client) => {
      const row = await lockPresentedEnrolment(client, ask.token);
      const group = await findGroupByName(client, ask.group);
      const refusal = enrolmentRefusal(row && enrolmentFacts(row), group, ask.group, now);
      if (refusal) return { ok: false, refusal };
      const credential = await insertCredential(client, group!.id, ask.name, row!.id);
      await markEnrolmentUsed(client, row!.id);
      return { ok: true, credential };
    });
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    return {
      ok: false,
      refusal: {
        code: 'name_taken',
        message: `Worker "${ask.name}" in group "${ask.group}" already has a credential. Pick another --name, or revoke that credential first (Tokens page, \`baton-master enrol credentials\`).`,
      },
    };
  }
}

export interface PresentedCredential { id: string; facts: CredentialFacts | null }

/** The stored facts of a presented credential (null facts when unknown or its secret does not match). */
export async function lookUpCredential(db: Queryable, presented: string): Promise<PresentedCredential | null> {
  const parts = splitSecret(presented, ['crd']);
  if (!parts) return null;
  const { rows } = await db.query<CredentialRow & { group_name: string }>(
    'select c.*, g.name as group_name from agent_credentials c join groups g on g.id = c.group_id where c.id = $1', [parts.id],
  );
  const row = rows[0];
  if (!row || !matches(row.hash, parts.secret)) return { id: parts.id, facts: null };
  if (row.revoked_at === null) await db.query('update agent_credentials set last_used_at = now() where id = $1', [row.id]);
  return { id: row.id, facts: { groupName: row.group_name, workerName: row.worker_name, revoked: row.revoked_at !== null } };
}

/** Of the given credential ids, those still live: the gateway disconnects agents whose credential is not. */
export async function liveCredentialIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>('select id from agent_credentials where id = any($1) and revoked_at is null', [ids]);
  return new Set(rows.map((r) => r.id));
}

/**
 * A fresh credential for a worker the master itself starts (the desktop app's local agent): any earlier one for
 * that worker is revoked, since only the file the new one goes to should open that identity.
 */
export async function issueCredential(db: Db, groupId: string, workerName: string): Promise<string> {
  return inTransaction(db, async (client) => {
    await client.query(
      'update agent_credentials set revoked_at = now() where group_id = $1 and worker_name = $2 and revoked_at is null', [groupId, workerName],
    );
    return insertCredential(client, groupId, workerName, null);
  });
}
