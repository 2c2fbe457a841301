// Durable queue of run results: a result is on disk before it is sent and leaves only once the master
// has stored it, so a master restart, a network cut or an agent crash loses no result.
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RunResult } from './protocol.js';

export interface OutboxEntry {
  /** File name; sorts in append order. */
  readonly id: string;
  readonly result: RunResult;
}

const ENTRY = /^(\d{16})\.json$/;

export class Outbox {
  readonly #dir: string;
  readonly #pending: OutboxEntry[];
  #next: number;

  private constructor(dir: string, pending: OutboxEntry[], next: number) {
    this.#dir = dir;
    this.#pending = pending;
    this.#next = next;
  }

  /**
   * Loads what an earlier process left. Temp files are dropped (that process died inside `append`,
   * before the result counted as recorded); unreadable entries are set aside as `*.corrupt`.
   */
  static async open(dir: string, onCorrupt: (file: string, reason: string) => void = () => {}): Promise<Outbox> {
    await mkdir(dir, { recursive: true });
    const pending: OutboxEntry[] = [];
    let next = 1;
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      if (name.endsWith('.tmp')) {
        await rm(path, { force: true });
        continue;
      }
      const match = ENTRY.exec(name);
      if (!match) continue;
      next = Math.max(next, Number(match[1]) + 1);
      const parsed = RunResult.safeParse(parseJson(await readFile(path, 'utf8')));
      if (parsed.success) pending.push({ id: name, result: parsed.data });
      else {
        onCorrupt(name, parsed.error.message);
        await rename(path, `${path}.corrupt`);
      }
    }
    return new Outbox(dir, pending, next);
  }

  /** Resolves once the result is durably on disk. */
  async append(result: RunResult): Promise<OutboxEntry> {
    const id = `${String(this.#next++).padStart(16, '0')}.json`;
    const path = join(this.#dir, id);
    const file = await open(`${path}.tmp`, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify(result));
      await file.sync();
    } finally {
      await file.close();
    }
    // rename is atomic: a reader sees the whole entry or none of it.
    await rename(`${path}.tmp`, path);
    const entry = { id, result };
    this.#pending.push(entry);
    return entry;
  }

  /** Oldest first. */
  pending(): readonly OutboxEntry[] {
    return [...this.#pending];
  }

  async remove(entry: OutboxEntry): Promise<void> {
    const index = this.#pending.findIndex((e) => e.id === entry.id);
    if (index === -1) return;
    this.#pending.splice(index, 1);
    await rm(join(this.#dir, entry.id), { force: true });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
