// Tries a PostgreSQL URL before the desktop app saves it (issue 8, Settings): one connection, one query, a deadline.
import pg from 'pg';

const PROBE_TIMEOUT_MS = 5_000;

/** The server's version when the URL works; otherwise throws the driver's error (its message says why). */
export async function probeDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS, query_timeout: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>("select current_setting('server_version') as version");
    return rows[0]?.version ?? 'unknown';
  } finally {
    await client.end().catch(() => undefined);
  }
}
