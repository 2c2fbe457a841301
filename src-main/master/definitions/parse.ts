// Reading a definitions file: size, JSON, format version and schema, every problem with its JSON path
// (`tasks[3].trigger.expression: …`), not just the first (issue 9). Pure.
import type { z } from 'zod';
import {
  DEFINITIONS_FORMAT, DefinitionsFile, MAX_DEFINITIONS_BYTES, type DefinitionProblem,
} from '../api/contract/definitions';

export type Parsed = { ok: true; file: DefinitionsFile } | { ok: false; problems: DefinitionProblem[] };

/** `['tasks', 3, 'trigger']` → `tasks[3].trigger`. */
export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** What a root-level problem is reported at: the file as a whole. */
export const FILE_PATH = '(file)';

export function parseDefinitions(text: string): Parsed {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_DEFINITIONS_BYTES) {
    return refused(FILE_PATH, `${bytes} bytes is more than a definitions file may have (${MAX_DEFINITIONS_BYTES} bytes, 1 MiB); split it with export --group`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return refused(FILE_PATH, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return refused(FILE_PATH, `must be a JSON object with "format": "${DEFINITIONS_FORMAT}" (an array is the console's old export format: export again)`);
  }
  // Another version is named as such, before its content is judged against a schema it was not written for.
  const format = (data as { format?: unknown }).format;
  if (format !== DEFINITIONS_FORMAT) {
    return refused('format', format === undefined
      ? `is required: "${DEFINITIONS_FORMAT}"`
      : `${JSON.stringify(format)} is not a format this master reads; it reads "${DEFINITIONS_FORMAT}"`);
  }
  const parsed = DefinitionsFile.safeParse(data);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error) };
  const duplicates = duplicateNames(parsed.data);
  return duplicates.length > 0 ? { ok: false, problems: duplicates } : { ok: true, file: parsed.data };
}

function refused(path: string, message: string): Parsed {
  return { ok: false, problems: [{ path, message }] };
}

/** Every zod issue, an unknown field named itself (`tasks[0].timeout`), not its object. */
export function problemsOf(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): DefinitionProblem[] {
  return error.issues.map((issue) => {
    const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    return { path: jsonPath([...prefix, ...at]) || FILE_PATH, message: issue.message };
  });
}

/** Names given twice: two groups, or two tasks of one group. Both places are named. */
function duplicateNames(file: DefinitionsFile): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const groups = new Map<string, number>();
  file.groups.forEach((g, i) => {
    const first = groups.get(g.name);
    if (first === undefined) groups.set(g.name, i);
    else problems.push({ path: `groups[${i}].name`, message: `group "${g.name}" is also groups[${first}]; a name may appear once` });
  });
  const tasks = new Map<string, number>();
  file.tasks.forEach((t, i) => {
    const key = JSON.stringify([t.group, t.name]);
    const first = tasks.get(key);
    if (first === undefined) tasks.set(key, i);
    else problems.push({ path: `tasks[${i}].name`, message: `task "${t.name}" of group "${t.group}" is also tasks[${first}]; a name may appear once per group` });
  });
  return problems;
}
