// Starts one Baton master: database, agent gateway, dispatch, planner and API; returns how to stop it all.
import fs from 'node:fs/promises';
import http from 'node:http';
import { Server } from 'socket.io';
import { apiGuard } from './access/guard';
import type { Reply } from './api/contract/client';
import { handle } from './api/handlers';
import { serveApi } from './api/http';
import { openGateway } from './agents/gateway';
import { Presence } from './agents/presence';
import { AgentRegistry } from './agents/registry';
import { apiKeyFile, type MasterConfig } from './config';
import type { MasterContext } from './context';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded';
import { newId } from './db/ids';
import { migrate } from './db/migrations';
import { activeRuns, recentLatency } from './db/runs';
import { RunWriter } from './db/run-writer';
import { closePool, openPool, type Db } from './db/store';
import { keepTokenInFile } from './db/tokens';
import { allWorkersOffline, listWorkers } from './db/workers';
import { Dispatcher } from './dispatch/dispatcher';
import { RunEndings } from './dispatch/endings';
import { fromStored } from './dispatch/live-runs';
import { createLogger, type Logger } from './log';
import { startHousekeeping } from './scheduler/housekeeping';
import { Planner } from './scheduler/planner';
import { serveConsole } from './console-files';

export const VERSION = '0.1.0';
const SWEEP_MS = 250;
const METRICS_FLUSH_MS = 2_000;
const LATENCY_REFRESH_MS = 10_000;

export interface Master {
  readonly config: MasterConfig;
  readonly agentUrl: string;
  readonly port: number;
  readonly db: Db;
  handle(method: string, input: unknown): Promise<Reply>;
  stop(): Promise<void>;
}

export interface MasterOptions {
  logger?: Logger;
  /** Folder of the built console, served at / for browsers. */
  consoleDir?: string;
}

async function openDatabase(config: MasterConfig, log: Logger): Promise<{ url: string; embedded: EmbeddedDatabase | null }> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  const embedded = await startEmbeddedDatabase(config.dataDir, (line) => log.debug({ postgres: line }));
  log.info({ dir: embedded.dir }, 'embedded PostgreSQL started');
  return { url: embedded.url, embedded };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Runs the dispatcher's view back up from the database after a restart; missing agents get until their deadline. */
async function recover(db: Db, registry: AgentRegistry, dispatcher: Dispatcher): Promise<void> {
  const live = (await activeRuns(db)).map(fromStored);
  const busyWorkers = new Set(live.map((r) => r.workerId).filter((w): w is string => w !== null));
  for (const w of (await listWorkers(db)).filter((w) => busyWorkers.has(w.id))) {
    registry.upsert({
      workerId: w.id, name: w.name, groupId: w.groupId, handlers: w.handlers, labels: w.labels, capacity: w.capacity,
      admin: w.status === 'disabled' ? 'disabled' : 'enabled', socket: null, running: new Set(), cpu: 0, memory: 0,
      load1: 0, lastBeatAt: Date.now(), lastAssignedAt: null,
    });
  }
  for (const run of live) {
    dispatcher.runs.add(run);
    if (run.workerId) registry.get(run.workerId)?.running.add(run.id);
  }
}

export async function startMaster(config: MasterConfig, options: MasterOptions = {}): Promise<Master> {
  const log = options.logger ?? createLogger(config.logLevel);
  const masterId = newId('mst');
  const startedAt = new Date().toISOString();
  const { url, embedded } = await openDatabase(config, log);
  const db = openPool(url);
  const lazy = openPool(url, { durable: false });
  const writer = new RunWriter(db, lazy);
  const stops: Array<() => Promise<void> | void> = [];
  try {
    await migrate(db);
    await allWorkersOffline(db);

    const registry = new AgentRegistry();
    const dispatcher = new Dispatcher({ db, writer, registry, log, heartbeatMs: config.heartbeatMs });
    const planner = new Planner({ db, writer, dispatcher, log });
    const endings = new RunEndings({ db, writer, registry, dispatcher, log, scheduleChanged: (id) => planner.reload(id) });
    dispatcher.stopRun = (id, reason) => endings.stop(id, reason);
    dispatcher.refused = (run, reason, message) => endings.finish(run.id, run.attempt, { state: 'failed', reason, error: message });
    const presence = new Presence({
      db: lazy, registry, dispatcher, endings, log, liveness: { heartbeatMs: config.heartbeatMs, missedBeats: config.missedBeats },
    });
    await recover(db, registry, dispatcher);

    let agentUrl = '';
    const ctx: MasterContext = {
      db, log, registry, dispatcher, endings,
      info: () => ({ version: VERSION, masterId, leader: true, agentUrl, database: embedded ? 'embedded' : 'external', startedAt }),
      taskChanged: (task) => { dispatcher.taskChanged(task); planner.reload(task.id); },
    };
    const api = (method: string, input: unknown) => handle(ctx, method, input);
    await fs.mkdir(config.dataDir, { recursive: true });
    await keepTokenInFile(db, { file: apiKeyFile(config), label: 'first API key (data folder)', scope: 'api' });
    const authorize = apiGuard(db, config.apiAuth);

    const server = http.createServer((req, res) => {
      if (serveApi(req, res, api, authorize)) return;
      if (options.consoleDir && serveConsole(req, res, options.consoleDir)) return;
      res.writeHead(404).end();
    });
    const io = new Server(server, { serveClient: false, maxHttpBufferSize: 1e6 });
    stops.push(() => new Promise<void>((resolve) => { io.close(() => resolve()); server.closeAllConnections(); }));
    stops.push(openGateway(io, { db, registry, events: presence, log, heartbeatMs: config.heartbeatMs }));
    const port = await listen(server, config.port, config.bind);
    agentUrl = `http://${config.bind.includes(':') ? `[${config.bind}]` : config.bind}:${port}`;

    const housekeeping = await startHousekeeping(db, { retentionDays: config.runRetentionDays, log: (msg, data) => log.info(data ?? {}, msg) });
    stops.push(() => housekeeping.stop());

    const every = (ms: number, work: () => Promise<unknown>) => {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        work().catch((error: unknown) => log.error({ err: error }, 'periodic work failed')).finally(() => { busy = false; });
      }, ms);
      stops.push(() => clearInterval(timer));
    };
    // Liveness has its own timer: a long sweep under load must not delay declaring a dead worker.
    every(SWEEP_MS, () => presence.checkLiveness(Date.now()));
    every(SWEEP_MS, () => endings.sweep(Date.now()));
    every(METRICS_FLUSH_MS, () => presence.flushMetrics());
    every(LATENCY_REFRESH_MS, async () => { dispatcher.latency = await recentLatency(db); });
    planner.start();
    stops.push(() => planner.stop());
    log.info({ agentUrl, masterId }, 'master started');

    let stopping: Promise<void> | null = null;
    return {
      config, agentUrl, port, db,
      handle: api,
      stop: () => (stopping ??= (async () => {
        for (const stop of stops.reverse()) await stop();
        await writer.drain();
        await Promise.all([closePool(db), closePool(lazy)]);
        await embedded?.stop();
        log.info('master stopped');
        log.flush();
      })()),
    };
  } catch (error) {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    await Promise.all([closePool(db), closePool(lazy)]).catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
