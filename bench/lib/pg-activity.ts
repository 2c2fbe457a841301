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
    // A view read while backends come and go can fail; a sampler that fails must not end the benchmark.
    client.on('error', () => undefined);
    while (running) {
      // A statement waiting on a lock names the first statement it waits for: which writes contend.
      const { rows } = await client.query<{ q: string; wait: string | null; blocker: string | null }>(
        `select substr(regexp_replace(a.query, '\\s+', ' ', 'g'), 1, 20) || '…' || substr(regexp_replace(a.query, '\\s+', ' ', 'g'), 80, 70) as q, a.wait_event_type || ':' || a.wait_event as wait,
           (select substr(regexp_replace(b.query, '\\s+', ' ', 'g'), 80, 70) from pg_stat_activity b
            where b.pid = (pg_blocking_pids(a.pid))[1] limit 1) as blocker
         from pg_stat_activity a where a.datname = $1 and a.state = 'active' and a.pid <> pg_backend_pid()`, [dbName])
        .catch(() => ({ rows: [] }));
      for (const r of rows) {
        const key = `${r.q}  [${r.wait ?? 'cpu'}]${r.blocker ? ` waits for: ${r.blocker}` : ''}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
    await client.end();
  })().catch(() => undefined);
  return {
    async stop() {
      running = false;
      await loop;
      return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([query, samples]) => ({ query, samples }));
    },
  };
}
