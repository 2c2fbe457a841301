// Groups repository.
import { BatonError } from '../api/contract/errors';
import type { Group, GroupInput } from '../api/contract/domain';
import { newId } from './ids';
import { domainError, type Queryable } from './store';

interface GroupRow { id: string; name: string; description: string; created_at: Date; updated_at: Date }

function toGroup(r: GroupRow): Group {
  return { id: r.id, name: r.name, description: r.description, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() };
}

export async function listGroups(db: Queryable): Promise<Group[]> {
  const { rows } = await db.query<GroupRow>('select * from groups order by name');
  return rows.map(toGroup);
}

export async function getGroup(db: Queryable, id: string): Promise<Group> {
  const { rows } = await db.query<GroupRow>('select * from groups where id = $1', [id]);
  if (!rows[0]) throw new BatonError('not_found', `No group with id ${id}.`, 'id');
  return toGroup(rows[0]);
}

export async function findGroupByName(db: Queryable, name: string): Promise<Group | null> {
  const { rows } = await db.query<GroupRow>('select * from groups where name = $1', [name]);
  return rows[0] ? toGroup(rows[0]) : null;
}

export async function createGroup(db: Queryable, input: Required<GroupInput>, by = 'api'): Promise<Group> {
  try {
    const { rows } = await db.query<GroupRow>(
      'insert into groups (id, name, description, updated_by) values ($1, $2, $3, $4) returning *',
      [newId('grp'), input.name, input.description, by],
    );
    return toGroup(rows[0]!);
  } catch (error) {
    throw domainError(error, `A group named "${input.name}"`);
  }
}

/** Creates the group if it is missing; agents joining by group name use this. */
export async function ensureGroup(db: Queryable, name: string): Promise<Group> {
  await db.query(
    `insert into groups (id, name, description, updated_by) values ($1, $2, '', 'agent') on conflict (name) do nothing`,
    [newId('grp'), name],
  );
  return (await findGroupByName(db, name))!;
}

export async function updateGroup(db: Queryable, id: string, patch: Partial<GroupInput>, by = 'api'): Promise<Group> {
  try {
    const { rows } = await db.query<GroupRow>(
      `update groups set name = coalesce($2, name), description = coalesce($3, description),
         updated_at = now(), updated_by = $4 where id = $1 returning *`,
      [id, patch.name ?? null, patch.description ?? null, by],
    );
    if (!rows[0]) throw new BatonError('not_found', `No group with id ${id}.`, 'id');
    return toGroup(rows[0]);
  } catch (error) {
    throw domainError(error, `A group named "${patch.name}"`);
  }
}

export async function deleteGroup(db: Queryable, id: string): Promise<void> {
  const { rows } = await db.query<{ tasks: string; workers: string }>(
    `select (select count(*) from tasks where group_id = $1) as tasks, (select count(*) from workers where group_id = $1) as workers`,
    [id],
  );
  const { tasks, workers } = rows[0]!;
  if (Number(tasks) > 0 || Number(workers) > 0) {
    throw new BatonError('conflict', `The group still has ${tasks} task(s) and ${workers} worker(s); move or delete them first.`, 'id');
  }
  const result = await db.query('delete from groups where id = $1', [id]);
  if (result.rowCount === 0) throw new BatonError('not_found', `No group with id ${id}.`, 'id');
}
