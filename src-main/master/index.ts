// Starts one Baton master: database, API, agent gateway, and its part in leadership: the leader dispatches
// and fires (see leading.ts), followers serve reads and hand the rest to the leader. Returns how to stop it all.
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import { Server } from 'socket.io';
import { apiGuard } from './access/guard';
import { servedHosts, type HostEntry } from './access/hosts';
import { AlertDelivery } from './alerts/delivery';
import type { RetrySchedule } from './alerts/retry-schedule';
import type { AttemptEnded } from './dispatch/endings';
import type { Reply } from './api/contract/client';
import { BatonError } from './api/contract/errors';
import { handle } from './api/handlers';
import { HTTP_SERVER_OPTIONS, serveHttp, SOCKET_IO_PATH, socketDoor, type CallOrigin } from './api/http';
import { openGateway } from './agents/gateway';
import { advertisedUrl, apiKeyFile, masterKeyLabel, type MasterConfig } from './config';
import type { MasterContext } from './context';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded';
import { newId } from './db/ids';
import { migrate } from './db/migrations';
import { RunWriter } from './db/run-writer';
import { closePool, openPool, type Db } from './db/store';
import { keepTokenInFile } from './db/tokens';
import { forwardToLeader, notLeaderEither } from './ha/forward';
import { Leadership } from './ha/leadership';
import { answeredLocally } from './ha/rules';
import { startLeading, type Leading } from './leading';
import { createLogger, type Logger } from './log';
import { registerClusterGauges } from './metrics/cluster-gauges';
import { MasterMetrics } from './metrics/instruments';
import { openConsoleDoor } from './events/console-door';
import { openConsoleFeed, type ConsoleFeed } from './events/feed';
import { startHousekeeping } from './scheduler/housekeeping';
import type { SettingsPort } from './settings/desktop-settings';
import { fetchTrusting } from './tls-client';
import { withCallTrace } from './tracing/call-trace';
import { parseTraceparent } from './tracing/traceparent';

export const VERSION = '0.1.0';

export interface Master {
  readonly config: MasterConfig;
  readonly agentUrl: string;
  readonly port: number;
  readonly db: Db;
  /** Whether this master leads now (fires triggers, dispatches, holds the agents). */
  readonly leading: boolean;
  /** Console events (issue 8), from every master sharing the database. */
  readonly events: ConsoleFeed;
  handle(method: string, input: unknown): Promise<Reply>;
  stop(): Promise<void>;
}

export interface MasterOptions {
  logger?: Logger;
  /** Folder of the built console, served at / for browsers. */
  consoleDir?: string;
  /** How a failing alert channel is retried (default: after 10 s, doubling, at most every 10 minutes). */
  alertRetry?: Partial<RetrySchedule>;
  /** How often the alert outbox is looked at (default 1 s). */
  alertTickMs?: number;
  /** The desktop app's settings file, for the settings.* methods. */
  settings?: SettingsPort;
}

async function openDatabase(config: MasterConfig, log: Logger): Promise<{ url: string; embedded: EmbeddedDatabase | null }> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  const embedded = await startEmbeddedDatabase(config.dataDir, (line) => log.debug({ postgres: line }), { notice: (line) => log.warn(line) });
  log.info({ dir: embedded.dir }, 'embedded PostgreSQL started');
  return { url: embedded.url, embedded };
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

export async function startMaster(config: MasterConfig, options: MasterOptions = {}): Promise<Master> {
  const log = options.logger ?? createLogger(config.logLevel);
  const masterId = newId('mst');
  const startedAt = new Date().toISOString();
  const { url, embedded } = await openDatabase(config, log);
  const db = openPool(url);
  const lazy = openPool(url, { durable: false });
  // The leader lease has its own connections: behind a burst of dispatch writes in the shared pool its renewal
  // waited past the lease, and the leader stepped down mid-burst (bench/dispatch, issue 11).
  const leaseDb = openPool(url, { durable: true, max: 2 });
  const writer = new RunWriter(db, lazy);
  const metrics = new MasterMetrics();
  for (const [pool, p] of [['durable', db], ['lazy', lazy]] as const) {
    p.on('error', () => metrics.dbError(pool));
    p.on('connect', (c) => c.on('error', () => metrics.dbError(pool)));
  }
  const stops: Array<() => Promise<void> | void> = [];
  try {
    await migrate(db);
    await fs.mkdir(config.dataDir, { recursive: true });
    const apiKey = await keepTokenInFile(db, { file: apiKeyFile(config), label: masterKeyLabel(config), scope: 'admin' });

    let leading: Leading | null = null;
    let leadership: Leadership | null = null;
    let agentUrl = '';
    let ownUrl = '';
    const leader = (): Leading => {
      if (leading) return leading;
      throw new BatonError('not_leader', `This master does not lead; the leader is ${leadership?.leaderUrl ?? 'not elected yet'}.`);
    };
    const alerts = new AlertDelivery(db, log, {
      smtpUrl: config.smtpUrl, from: config.alertFrom, outbound: config.outbound, retry: options.alertRetry, tickMs: options.alertTickMs,
    });
    stops.push(() => alerts.close());
    stops.push(alerts.onDelivery((channel, outcome) => metrics.alertDelivered(channel.kind, outcome)));
    let stopAlerts: (() => Promise<void>) | null = null;
    const ctx: MasterContext = {
      db, log, alerts,
      get registry() { return leader().registry; },
      get dispatcher() { return leader().dispatcher; },
      get endings() { return leader().endings; },
      info: () => ({
        version: VERSION, masterId, leader: leading !== null, leaderUrl: leadership?.leaderUrl ?? null, url: ownUrl, agentUrl,
        database: embedded ? 'embedded' : 'external', startedAt,
      }),
      taskChanged: (task) => leader().taskChanged(task),
      outbound: config.outbound,
      settings: options.settings ?? null,
    };
    const api = async (method: string, input: unknown, from: CallOrigin = { forwarded: false }): Promise<Reply> => {
      const trace = parseTraceparent(from.traceparent);
      if (leading || answeredLocally(method)) return withCallTrace(trace, () => handle(ctx, method, input));
      if (from.forwarded) return notLeaderEither(method);
      return forwardToLeader(leadership?.leaderUrl ?? null, apiKey, method, input, { trusting: leaderFetch, traceparent: trace ? from.traceparent : undefined });
    };
    const authorize = apiGuard(db, config.apiAuth);

    const leaderFetch = fetchTrusting(config.tlsCa);
    let served: HostEntry[] = [];
    const scheme = config.tls ? 'https:' : 'http:';
    // Given a certificate, HTTPS only: the API, the console and the agent gateway share this one listener.
    const server = config.tls
      ? https.createServer({ ...HTTP_SERVER_OPTIONS, cert: config.tls.cert, key: config.tls.key })
      : http.createServer(HTTP_SERVER_OPTIONS);
    // An HTTPS server emits the same request and upgrade events as an HTTP one.
    registerClusterGauges(metrics, { db, pools: { durable: db, lazy }, agentsConnected: () => leading?.registry.connected().length ?? null });
    serveHttp(server as unknown as http.Server, {
      api, authorize, hosts: () => served, scheme, consoleDir: options.consoleDir, metrics: () => metrics.scrape(),
    });
    const io = new Server(server, {
      serveClient: false, maxHttpBufferSize: 1e6, path: SOCKET_IO_PATH, destroyUpgrade: false, allowRequest: socketDoor(() => served, scheme),
    });
    stops.push(() => new Promise<void>((resolve) => { io.close(() => resolve()); server.closeAllConnections(); }));
    const gateway = openGateway(io, {
      db, log, heartbeatMs: config.heartbeatMs, eventsPerSec: config.agentEventsPerSec,
      term: () => leading,
      leaderUrl: () => leadership?.leaderUrl ?? null,
    });
    stops.push(() => gateway.dispose());
    const events = await openConsoleFeed(url, db, log);
    stops.push(() => events.stop());
    stops.push(openConsoleDoor(io, { db, apiAuth: config.apiAuth, feed: events, log }));
    const port = await listen(server, config.port, config.bind);
    agentUrl = `${config.tls ? 'https' : 'http'}://${config.bind.includes(':') ? `[${config.bind}]` : config.bind}:${port}`;
    ownUrl = advertisedUrl(config, port);
    const interfaces = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
    served = servedHosts({ bind: config.bind, port, advertiseUrl: ownUrl, allowed: config.allowedHosts, interfaces });

    const housekeeping = await startHousekeeping(db, {
      retentionDays: config.runRetentionDays, log: (msg, data) => log.info(data ?? {}, msg),
    });
    stops.push(() => housekeeping.stop());

    leadership = new Leadership({
      db: leaseDb, masterId, url: ownUrl, leaseMs: config.leaderLeaseMs, sole: embedded !== null, log,
      elected: async () => {
        leading = await startLeading({
          db, lazy, writer, log, config, metrics, firesSkipped: (task, fires, now) => alerts.firesSkipped(task, fires, now),
        });
        // Subscribed before any I/O callback can run, so no run of this term ends unheard.
        leading.endings.events.on('attempt', ({ task, run, final }: AttemptEnded) => alerts.runEnded(task, run, final));
        stopAlerts = alerts.start();
      },
      deposed: async () => {
        const ended = leading;
        leading = null;
        await stopAlerts?.();
        stopAlerts = null;
        gateway.disconnectAll();
        await ended?.stop();
        await writer.drain();
      },
    });
    await leadership.start();
    stops.push(() => leadership!.stop());
    stops.push(async () => { await stopAlerts?.(); });
    log.info({ agentUrl, url: ownUrl, masterId, leader: leading !== null }, 'master started');

    let stopping: Promise<void> | null = null;
    return {
      config, agentUrl, port, db, events,
      get leading() { return leading !== null; },
      handle: api,
      stop: () => (stopping ??= (async () => {
        for (const stop of stops.reverse()) await stop();
        await writer.drain();
        await Promise.all([closePool(db), closePool(lazy), closePool(leaseDb)]);
        await embedded?.stop();
        log.info('master stopped');
        log.flush();
      })()),
    };
  } catch (error) {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    await Promise.all([closePool(db), closePool(lazy), closePool(leaseDb)]).catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
