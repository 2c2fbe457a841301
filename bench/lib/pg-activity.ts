// Samples pg_stat_activity while a benchmark runs: which statements the database is busy with, and on what it waits.
import pg from 'pg';

export interface ActivitySampler { stop(): Promise<Array<{ query: string; samples: number }>> }

export function sampleActivity(databaseUrl: string, everyMs = 100): ActivitySampler {
  const dbName = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: databaseUrl });
  const counts = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ q: string; wait: string | null }>(
        `select left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as q, wait_event_type || ':' || wait_event as wait
         from pg_stat_activity where datname = $1 and state = 'active' and pid <> pg_backend_pid()`, [dbName]);
      for (const r of rows) {
        const key = `${r.q}  [${r.wait ?? 'cpu'}]`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await loop.catch(() => undefined);
      return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([query, samples]) => ({ query, samples }));
    },
  };
}
