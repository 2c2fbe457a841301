// Groups and tasks by name where the contract takes an id (issue 9: tasks named their group by id while agents
// name it by name). The one place names become ids: a value shaped like an id is an id; anything else is looked
// up by name through the API itself, so a follower answers as the leader would and nothing reaches the store here.
import type { Reply } from '../contract/client';
import type { WireError } from '../contract/errors';
import type { RefKind } from './routes';

export type Api = (method: string, input: unknown) => Promise<Reply>;
export type Resolved = { ok: true; input: Record<string, unknown> } | { ok: false; error: WireError };

/** Ids as db/ids.ts makes them: prefix, 9 base-36 digits of time, 12 hex digits. */
const ID_SHAPE: Record<RefKind, RegExp> = { group: /^grp_[0-9a-z]{9}[0-9a-f]{12}$/, task: /^tsk_[0-9a-z]{9}[0-9a-f]{12}$/ };
const LIST: Record<RefKind, string> = { group: 'groups.list', task: 'tasks.list' };

interface Named { id: string; name: string; groupId?: string }

/** Each named field at `refs` (dotted, `*` for every item of a list) replaced by the id it names. */
export async function resolveNames(input: Record<string, unknown>, refs: Readonly<Record<string, RefKind>>, api: Api): Promise<Resolved> {
  const lists = new Map<RefKind, Promise<Reply>>();
  const listOf = (kind: RefKind) => {
    if (!lists.has(kind)) lists.set(kind, api(LIST[kind], {}));
    return lists.get(kind)!;
  };
  const out = structuredClone(input);
  for (const [path, kind] of Object.entries(refs)) {
    for (const slot of slots(out, path.split('.'), [])) {
      const value = slot.holder[slot.key];
      if (typeof value !== 'string' || ID_SHAPE[kind].test(value)) continue;
      const reply = await listOf(kind);
      if (!reply.ok) return { ok: false, error: reply.error as WireError };
      const found = named(kind, value, reply.value as Named[], slot.path);
      if (!found.ok) return found;
      slot.holder[slot.key] = found.id;
    }
  }
  return { ok: true, input: out };
}

interface Slot { holder: Record<string | number, unknown>; key: string | number; path: string }

/** Where a dotted path points in `value`: none when the input does not have it (the contract then decides). */
function slots(value: unknown, path: readonly string[], at: readonly (string | number)[]): Slot[] {
  if (typeof value !== 'object' || value === null || path.length === 0) return [];
  const [head, ...rest] = path as [string, ...string[]];
  const holder = value as Record<string | number, unknown>;
  const keys: (string | number)[] = head === '*' ? (Array.isArray(value) ? value.map((_, i) => i) : []) : Object.hasOwn(holder, head) ? [head] : [];
  return keys.flatMap((key) => (rest.length === 0
    ? [{ holder, key, path: [...at, key].join('.') }]
    : slots(holder[key], rest, [...at, key])));
}

function named(kind: RefKind, name: string, all: readonly Named[], field: string): { ok: true; id: string } | { ok: false; error: WireError } {
  const hits = all.filter((item) => item.name === name || item.id === name);
  if (hits.length === 1) return { ok: true, id: hits[0]!.id };
  const shown = JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);
  if (hits.length === 0) return { ok: false, error: { code: 'not_found', message: `No ${kind} has the id or name ${shown}.`, field } };
  return {
    ok: false,
    error: {
      code: 'conflict', field, data: { ids: hits.map((h) => h.id) },
      message: `${hits.length} ${kind}s are named ${shown} (in different groups): name it by id (${hits.map((h) => h.id).join(', ')}).`,
    },
  };
}
