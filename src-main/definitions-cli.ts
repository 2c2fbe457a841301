// `baton-master export | import | diff` (issue 9): definitions files against a running master, through its API.
// Exit codes: 0 done, 1 error (master unreachable, refused key, a write that failed), 2 bad input (a refused
// file, an unknown name), 3 `diff --exit-code` found something import would change.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { ApiClient } from './master/api/contract/client';
import { MAX_DEFINITIONS_BYTES, type ConflictPolicy, type DefinitionProblem, type DefinitionsPlan, type PlanItem } from './master/api/contract/definitions';
import { BatonError } from './master/api/contract/errors';

export const EXIT = { done: 0, error: 1, badInput: 2, changes: 3 } as const;

/** Thrown for a bad input found before the master is asked (a file that cannot be read or is too big). */
class BadInput extends Error {}

export interface ExportOptions { group: string[]; task: string[]; out?: string }

export async function exportCommand(api: ApiClient, o: ExportOptions): Promise<number> {
  return reporting(async () => {
    const filter = { ...(o.group.length > 0 ? { groups: o.group } : {}), ...(o.task.length > 0 ? { tasks: o.task } : {}) };
    let { text } = await api.call('definitions.export', filter);
    if (o.out === undefined) {
      process.stdout.write(text);
      return EXIT.done;
    }
    // Re-exporting definitions that did not change leaves the file as it is: no stamp-only diff to commit.
    const previousStamp = stampOf(o.out);
    if (previousStamp) {
      const same = await api.call('definitions.export', { ...filter, exportedAt: previousStamp });
      if (existsSync(o.out) && readFileSync(o.out, 'utf8') === same.text) text = same.text;
    }
    writeFileSync(o.out, text);
    process.stderr.write(`wrote ${o.out}\n`);
    return EXIT.done;
  });
}

function stampOf(file: string): string | null {
  try {
    const stamp = (JSON.parse(readFileSync(file, 'utf8')) as { exportedAt?: unknown }).exportedAt;
    return typeof stamp === 'string' ? stamp : null;
  } catch {
    return null;
  }
}

export interface ImportOptions { dryRun?: boolean; onConflict: ConflictPolicy }

export async function importCommand(api: ApiClient, file: string, o: ImportOptions): Promise<number> {
  return reporting(async () => {
    const text = readDefinitions(file);
    const plan = await api.call('definitions.plan', { text, onConflict: o.onConflict });
    printPlan(plan);
    if (o.dryRun) {
      process.stdout.write('dry run: nothing was changed\n');
      return EXIT.done;
    }
    if (!plan.changes) {
      process.stdout.write('nothing to import\n');
      return EXIT.done;
    }
    await api.call('definitions.apply', { text, onConflict: o.onConflict, digest: plan.digest });
    process.stdout.write(`imported: ${summary(plan)}\n`);
    return EXIT.done;
  });
}

export interface DiffOptions { exitCode?: boolean; onConflict: ConflictPolicy }

export async function diffCommand(api: ApiClient, file: string, o: DiffOptions): Promise<number> {
  return reporting(async () => {
    const plan = await api.call('definitions.plan', { text: readDefinitions(file), onConflict: o.onConflict });
    printPlan(plan);
    // A conflict writes nothing under skip, but the master and the file differ: CI wants to hear about it.
    const differs = plan.items.some((item) => item.action !== 'unchanged');
    return o.exitCode && differs ? EXIT.changes : EXIT.done;
  });
}

function readDefinitions(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new BadInput(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  // Checked here too: the HTTP door would refuse a body this big before the master could say why.
  if (size > MAX_DEFINITIONS_BYTES) {
    throw new BadInput(`${file}: ${size} bytes is more than a definitions file may have (${MAX_DEFINITIONS_BYTES} bytes, 1 MiB); split it with export --group`);
  }
  return readFileSync(file, 'utf8');
}

const VERB: Record<PlanItem['action'], string> = { create: 'create', update: 'update', unchanged: 'unchanged', conflict: 'conflict' };

function printPlan(plan: DefinitionsPlan): void {
  const lines = plan.items.map((item) => {
    const what = item.kind === 'task' ? `task ${item.group}/${item.name}` : `group ${item.name}`;
    const notes = [
      item.renamedFrom ? `renamed from ${item.renamedFrom}` : '',
      item.changes.length > 0 ? `differs in ${item.changes.join(', ')}` : '',
      item.action === 'conflict' ? 'kept as the master has it (--on-conflict overwrite replaces it, rename imports a copy)' : '',
    ].filter(Boolean);
    return `${VERB[item.action].padEnd(9)} ${what}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`;
  });
  process.stdout.write(`${lines.join('\n')}${lines.length > 0 ? '\n' : ''}${summary(plan)}\n`);
}

function summary(plan: DefinitionsPlan): string {
  const count = (action: PlanItem['action']) => plan.items.filter((i) => i.action === action).length;
  return `${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged, ${count('conflict')} in conflict (policy ${plan.policy})`;
}

/** Runs a command, turning its failure into a message on stderr and an exit code. */
async function reporting(command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (error) {
    if (error instanceof BadInput) return failed(error.message, EXIT.badInput);
    if (error instanceof BatonError) {
      const problems = (error.data as { problems?: DefinitionProblem[] } | undefined)?.problems;
      const bad = error.code === 'invalid_input' || error.code === 'not_found';
      if (problems) {
        return failed(`the definitions file was refused, nothing changed:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`, EXIT.badInput);
      }
      return failed(error.message, bad ? EXIT.badInput : EXIT.error);
    }
    return failed(error instanceof Error ? error.message : String(error), EXIT.error);
  }
}

function failed(message: string, code: number): number {
  process.stderr.write(`baton-master: ${message}\n`);
  return code;
}
