// The one connection that LISTENs for the notices migration 9's triggers send (channel baton_console) when runs,
// logs, workers, tasks or groups change, on any master sharing the database. It reconnects on its own.
import pg from 'pg';

export const NOTICE_CHANNEL = 'baton_console';
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

export interface NoticeHandlers {
  /** One NOTIFY payload (JSON text, at most 8000 bytes). */
  notice(payload: string): void;
  /** Listening again after the connection was lost: notices sent meanwhile were missed. */
  resumed(): void;
  /** The connection failed; it is retried with backoff. */
  failed(error: unknown): void;
}

/** Listens until the returned disposer is called; resolves once the first LISTEN succeeded or failed. */
export async function listenForNotices(url: string, on: NoticeHandlers): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let delay = RETRY_MIN_MS;
  let everListened = false;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => { if (message.channel === NOTICE_CHANNEL && message.payload) on.notice(message.payload); });
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, new Error('the notice connection ended')));
    client = next;
    try {
      await next.connect();
      await next.query(`listen ${NOTICE_CHANNEL}`);
    } catch (error) {
      lost(next, error);
      return;
    }
    if (stopped) return void next.end().catch(() => undefined);
    delay = RETRY_MIN_MS;
    if (everListened) on.resumed();
    everListened = true;
  };

  const lost = (which: pg.Client, error: unknown): void => {
    if (client !== which || stopped) return;
    client = null;
    which.end().catch(() => undefined);
    on.failed(error);
    timer = setTimeout(() => { timer = null; void connect(); }, delay);
    timer.unref();
    delay = Math.min(delay * 2, RETRY_MAX_MS);
  };

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const last = client;
    client = null;
    await last?.end().catch(() => undefined);
  };
}
