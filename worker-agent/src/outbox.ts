// Durable queue of run results: a result is on disk before it is sent and leaves only once the master
// has stored it, so a master restart, a network cut or an agent crash loses no result.
// Results that finish together share one file and one fsync (group commit): measured, one fsync per result
// was what held an agent's result rate down under load.
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { RunResult } from './protocol.js';

export interface OutboxEntry {
  /** `<file>#<index>`; sorts in append order. */
  readonly id: string;
  /** The file holding it, with the results written together with it. */
  readonly file: string;
  readonly result: RunResult;
}

const FILE = /^(\d{16})\.json$/;
const FileContent = z.array(RunResult).min(1);

export class Outbox {
  readonly #dir: string;
  /** By id, oldest first: an agent behind on acknowledgements holds thousands, and each removal must not scan them. */
  readonly #pending = new Map<string, OutboxEntry>();
  /** Entries of each file not yet removed: the file goes when its last entry does. */
  readonly #left = new Map<string, number>();
  #next: number;
  #batch: Array<{ result: RunResult; done: (entry: OutboxEntry) => void; fail: (error: unknown) => void }> = [];

  private constructor(dir: string, pending: OutboxEntry[], next: number) {
    this.#dir = dir;
    this.#next = next;
    for (const e of pending) {
      this.#pending.set(e.id, e);
      this.#left.set(e.file, (this.#left.get(e.file) ?? 0) + 1);
    }
  }

  /**
   * Loads what an earlier process left. Temp files are dropped (that process died inside `append`,
   * before the results counted as recorded); unreadable files are set aside as `*.corrupt`.
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
      const match = FILE.exec(name);
      if (!match) continue;
      next = Math.max(next, Number(match[1]) + 1);
      const parsed = FileContent.safeParse(parseJson(await readFile(path, 'utf8')));
      if (parsed.success) parsed.data.forEach((result, i) => pending.push({ id: `${name}#${i}`, file: name, result }));
      else {
        onCorrupt(name, parsed.error.message);
        await rename(path, `${path}.corrupt`);
      }
    }
    return new Outbox(dir, pending, next);
  }

  /** Resolves once the result is durably on disk (with whatever else was appended in the same tick). */
  append(result: RunResult): Promise<OutboxEntry> {
    return new Promise((done, fail) => {
      this.#batch.push({ result, done, fail });
      if (this.#batch.length === 1) setImmediate(() => void this.#write());
    });
  }

  async #write(): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    const name = `${String(this.#next++).padStart(16, '0')}.json`;
    const path = join(this.#dir, name);
    try {
      const file = await open(`${path}.tmp`, 'w', 0o600);
      try {
        await file.writeFile(JSON.stringify(batch.map((b) => b.result)));
        await file.sync();
      } finally {
        await file.close();
      }
      // rename is atomic: a reader sees the whole file or none of it.
      await rename(`${path}.tmp`, path);
    } catch (error) {
      for (const b of batch) b.fail(error);
      return;
    }
    this.#left.set(name, batch.length);
    batch.forEach((b, i) => {
      const entry = { id: `${name}#${i}`, file: name, result: b.result };
      this.#pending.set(entry.id, entry);
      b.done(entry);
    });
  }

  /** Oldest first. */
  pending(): readonly OutboxEntry[] {
    return [...this.#pending.values()];
  }

  get size(): number {
    return this.#pending.size;
  }

  /** After a restart, the delivered entries of a file not yet empty are sent again: harmless, results are idempotent. */
  async remove(entry: OutboxEntry): Promise<void> {
    if (!this.#pending.delete(entry.id)) return;
    const left = (this.#left.get(entry.file) ?? 1) - 1;
    if (left > 0) {
      this.#left.set(entry.file, left);
      return;
    }
    this.#left.delete(entry.file);
    await rm(join(this.#dir, entry.file), { force: true });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
