// The agent: one Socket.IO connection to the leading master, kept up forever (unless refused for good), over
// which it takes runs, streams their logs, heartbeats, and delivers results from the outbox. When the master
// goes away or says it only follows, the agent moves on through its list of masters to the leader.
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { AgentConfig } from './config.js';
import { AGENT_VERSION, hostName, primaryIp } from './host.js';
import { hostSampler } from './host-stats.js';
import type { Logger } from './logger.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { performance } from 'node:perf_hooks';
import { fencedIfLapsed, LeaseClock, mustFence, reaperFenceInMs } from './lease.js';
import type { LeaseGuard } from './processes/watchdog.js';
import {
  AGENT_NAMESPACE,
  AgentWelcome,
  FINAL_REFUSALS,
  HeartbeatAck,
  LogAck,
  PROTOCOL_VERSION,
  Refusal,
  ResultAck,
  type AgentHello,
  type AgentToMasterEvents,
  type MasterToAgentEvents,
  type RefusalCode,
  type RunLog,
} from './protocol.js';
import { nextMaster, retryDelay } from './masters.js';
import { assertNever } from './issues.js';
import { PendingLogs } from './run-logs.js';
import type { HandlerSet } from './executors/index.js';
import { offeredHandlers } from './handler-modules.js';
import { Runs, within } from './runs.js';
import { coalesceWrites } from './write-coalescing.js';

/**
 * Whether a handshake refusal ends the agent: true when retrying cannot change it and an operator has to (the
 * credential, the token, the name or group flags, the master URL). Every code is decided here, so a new one
 * cannot slip into retrying forever unnoticed.
 */
export function refusalIsFatal(code: RefusalCode): boolean {
  switch (code) {
    case 'not_leader': // another master leads now; the refusal names it
    case 'duplicate_name': // this agent's previous connection, not yet gone on the master's side
    case 'rate_limited': // passes with time
      return false;
    case 'bad_token': // unknown or revoked credential
    case 'bad_hello': // this agent's hello does not parse (another version, bad flags)
    case 'name_mismatch': // the credential file is for another worker name
    case 'group_mismatch': // … or another group
    case 'name_taken': // the name belongs to another worker's credential
    case 'enrolment_expired': // enrolment token expired, used up, or for a group that does not exist
    case 'enrolment_used':
    case 'unknown_group':
    case 'wrong_namespace': // not an agent endpoint: the master URL is wrong
      return true;
    default:
      return assertNever(code);
  }
}
const RESULT_ACK_MS = 10_000;
const OUTBOX_RETRY_MS = 5_000;
/** How long log delivery pauses after the master answered `rate_limited`. */
const LOG_PAUSE_MS = 1_000;
/** How long a stopping agent tries to deliver pending results; what is left stays on disk. */
const FINAL_FLUSH_MS = 5_000;
const LOG_ACK_MS = 10_000;
/** Until a master tells the lease in `welcome`: the master's default (1 s heartbeats × 3). */
const DEFAULT_LEASE_MS = 3_000;

export type AgentExit = { kind: 'stopped' } | { kind: 'refused'; refusal: Refusal };

export interface Agent {
  /** Drains runs, delivers what it can, disconnects. Safe to call more than once. */
  stop(): Promise<void>;
  /** Settles when the agent has stopped, by `stop()` or by a fatal refusal. */
  readonly closed: Promise<AgentExit>;
}

/**
 * `guard`: the reaper that enforces the run lease from outside this process (see processes/lease-guard.ts);
 * without one (tests, embedders), runs are fenced by this process alone. `loaded`: the handlers, when the caller
 * loaded them already (the CLI does, to refuse a bad --handlers-dir before enrolling); else from `config`.
 * `onFirstRun`: called once, when the first run is assigned (the CLI's V8 settings, v8-footprint.ts).
 */
export async function startAgent(
  config: AgentConfig, log: Logger, guard?: LeaseGuard, loaded?: HandlerSet, onFirstRun?: () => void,
): Promise<Agent> {
  // First: a malformed handler module is a start-up error (ConfigError), before anything else is opened.
  const handlers = loaded ?? await offeredHandlers(config.handlersDir, config.handlers);
  const outbox = await Outbox.open(join(config.dataDir, 'outbox'), (file, reason) =>
    log.error({ file, reason }, 'unreadable outbox entry set aside'),
  );
  if (outbox.size) log.info({ results: outbox.size }, 'results from an earlier run are waiting to be delivered');

  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => (timers.delete(timer), fn()), ms);
    timers.add(timer);
  };
  const logs = new PendingLogs();

  const runs = new Runs({
    capacity: config.capacity,
    handlers,
    outbound: config.outbound,
    log,
    sendLog(batch: RunLog) {
      // Kept until acknowledged (bounded per run), so lines written during a cut reach the master afterwards.
      logs.add(batch);
      void sendLogs(batch.runId);
    },
    async record(result) {
      // After a pause the run's processes may have died (the reaper's kill) before this process got to fence them;
      // a lease this agent counts as over makes such a death the fencing it is.
      const lapsed = mustFence(lease.confirmedSentAt, monotonic(), leaseMs);
      if (lapsed && !result.fenced) fence('run processes killed while the lease was not renewed');
      // This result alone: rescanning every waiting one for each new result made a busy agent quadratic.
      sendResult(await outbox.append(fencedIfLapsed(result, lapsed)));
    },
  });

  // Runs whose result waits in the outbox count too: until the master has stored the result it must not
  // declare them lost (measured: under load, finished runs were marked lost while their results queued).
  const inFlight = () => [...new Set([...runs.ids(), ...outbox.pending().map((e) => e.result.runId)])];
  const hello = (): AgentHello => ({
    protocol: PROTOCOL_VERSION,
    token: config.token,
    name: config.name,
    group: config.group,
    host: hostName(),
    ip: primaryIp(),
    version: AGENT_VERSION,
    handlers: handlers.names(),
    capacity: config.capacity,
    labels: config.labels,
    running: inFlight(),
    handlerParams: handlers.schemas(),
  });

  // Reconnecting is ours, not the client library's: the next attempt may go to another master.
  let openedAt = 0;
  const open = (url: string): Socket<MasterToAgentEvents, AgentToMasterEvents> => {
    openedAt = performance.now();
    const opened: Socket<MasterToAgentEvents, AgentToMasterEvents> = io(`${url}${AGENT_NAMESPACE}`, {
      auth: (cb) => cb(hello()), // a function, so every attempt reports the runs of that moment
      reconnection: false,
      // An https:// master is verified against --ca when given (Node's built-in CAs otherwise), never accepted blindly.
      ...(config.ca ? { ca: config.ca } : {}),
    });
    coalesceWrites(opened);
    return opened;
  };
  let master = config.masterUrls[0]!;
  let socket = open(master);

  // Heartbeats renew the lease of every run listed; an acknowledged one counts from when it was sent.
  const monotonic = () => performance.now();
  const lease = new LeaseClock(monotonic());
  let leaseMs = DEFAULT_LEASE_MS;
  const sample = hostSampler();
  let heartbeat: NodeJS.Timeout | null = null;
  const beat = () => {
    const sentAt = monotonic();
    const sent = socket;
    sent.timeout(leaseMs).emitWithAck('heartbeat', { at: Date.now(), ...sample(), running: inFlight() }).then((raw) => {
      if (sent === socket && HeartbeatAck.safeParse(raw).success) {
        lease.confirmed(sentAt);
        syncGuard();
      }
    }, () => undefined);
  };
  // The reaper enforces the same lease from outside this process, which cannot fence while paused: after each
  // renewal, and when the first run starts, it learns how long the runs may live; with no runs, that there are none.
  let guardTold: { sentAt: number; leaseMs: number } | 'idle' = 'idle';
  const syncGuard = () => {
    if (!guard) return;
    if (runs.ids().length === 0) {
      if (guardTold !== 'idle') guard.idle();
      guardTold = 'idle';
      return;
    }
    if (guardTold !== 'idle' && guardTold.sentAt === lease.confirmedSentAt && guardTold.leaseMs === leaseMs) return;
    guardTold = { sentAt: lease.confirmedSentAt, leaseMs };
    guard.fenceIn(reaperFenceInMs(lease.confirmedSentAt, monotonic(), leaseMs));
  };
  /** Stops every run at once; a stalled link looks connected, so it is dropped too. */
  const fence = (why: string) => {
    const stopped = runs.fence();
    if (stopped > 0 && socket.connected) {
      log.warn({ master, why }, 'no heartbeat acknowledged within the lease; reconnecting');
      socket.disconnect();
      reconnect();
    }
  };
  // Fencing: checked often, whether connected or not. A stalled link looks connected, so it is dropped too.
  const fenceCheck = setInterval(() => {
    syncGuard(); // tells the reaper once the last run has ended
    if (runs.ids().length === 0) return;
    if (mustFence(lease.confirmedSentAt, monotonic(), leaseMs)) fence('lease not renewed');
  }, 100);
  const startHeartbeat = (ms: number) => {
    stopHeartbeat();
    heartbeat = setInterval(beat, ms);
  };
  const stopHeartbeat = () => {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = null;
  };

  let failures = 0;
  let pendingRetry: NodeJS.Timeout | null = null;
  /** One attempt at a time: a refusal and a disconnect for the same socket plan a single retry. */
  const reconnect = (leaderHint?: string) => {
    if (stopping || pendingRetry) return;
    const next = nextMaster(config.masterUrls, master, leaderHint);
    const ms = next === leaderHint ? 0 : retryDelay(++failures, Math.random());
    pendingRetry = setTimeout(() => {
      pendingRetry = null;
      if (stopping) return;
      socket.removeAllListeners();
      socket.disconnect();
      master = next;
      socket = open(master);
      wire(socket);
    }, ms);
  };

  // Log delivery: each batch is acknowledged; what a cut swallowed is sent again after reconnecting.
  const logsSending = new Map<RunLog, Promise<void>>();
  const sendLog = async (batch: RunLog) => {
    await Promise.resolve(); // registered in logsSending before it can settle
    const mine = logsSending.get(batch);
    try {
      const ack = LogAck.parse(await socket.timeout(LOG_ACK_MS).emitWithAck('run:log', batch));
      if (ack.stored) logs.remove(batch);
      else if (FINAL_REFUSALS.has(ack.code)) {
        log.error({ runId: batch.runId, seq: batch.seq, code: ack.code, reason: ack.message }, 'master refused log lines for good; dropped');
        logs.remove(batch);
      } else if (ack.code === 'rate_limited') pauseLogs();
    } catch {
      // not acknowledged: kept, and sent again on the next connect or with the run's result
    } finally {
      // A reconnect may have sent the batch again meanwhile: only this send's own entry goes.
      if (logsSending.get(batch) === mine) logsSending.delete(batch);
    }
  };
  // Over the master's log budget, the batches kept are sent again after a pause, not with every new batch (that
  // would resend the whole backlog each time and keep the agent over its budget).
  let logsPausedUntil = 0;
  const pauseLogs = () => {
    if (Date.now() < logsPausedUntil) return;
    logsPausedUntil = Date.now() + LOG_PAUSE_MS;
    later(LOG_PAUSE_MS, () => void sendLogs());
  };
  /** Sends a run's (or every run's) waiting batches in order; resolves when each has its answer. */
  function sendLogs(runId?: string): Promise<void> {
    const batches = logs.of(runId);
    if (socket.connected && Date.now() >= logsPausedUntil) {
      for (const batch of batches) if (!logsSending.has(batch)) logsSending.set(batch, sendLog(batch));
    }
    // The run's own batches, not a scan of every batch on its way (called for each result).
    const mine = runId === undefined ? [...logsSending.values()] : batches.flatMap((batch) => logsSending.get(batch) ?? []);
    return Promise.all(mine).then(() => undefined);
  }

  // Outbox delivery: every pending result is sent at once and each is acknowledged on its own (results are
  // idempotent by run and attempt, so order does not matter). Measured: one result at a time, each waiting
  // for the master's commit, capped an agent near 100 results/s.
  const sending = new Map<string, Promise<void>>();
  let retryPlanned = false;
  const retryFlush = () => {
    if (retryPlanned) return;
    retryPlanned = true;
    later(OUTBOX_RETRY_MS, () => ((retryPlanned = false), void flushOutbox()));
  };
  const deliver = async (entry: OutboxEntry) => {
    const { runId, attempt } = entry.result;
    try {
      // The run's log lines go first, so the master has them when the run ends.
      await sendLogs(runId);
      if (logs.of(runId).length > 0) throw new Error('log lines of the run not delivered yet');
      const ack = ResultAck.parse(await socket.timeout(RESULT_ACK_MS).emitWithAck('run:result', entry.result));
      if (ack.stored) await outbox.remove(entry);
      else if (FINAL_REFUSALS.has(ack.code)) {
        log.error({ runId, attempt, code: ack.code, reason: ack.message }, 'master refused the result for good; dropped');
        logs.forget(runId);
        await outbox.remove(entry);
      } else {
        log.error({ runId, attempt, code: ack.code, reason: ack.message }, 'master did not store the result; it will be sent again');
        retryFlush();
      }
    } catch (err) {
      log.warn({ runId, attempt, err: String(err) }, 'result not acknowledged; it will be sent again');
      retryFlush();
    } finally {
      sending.delete(entry.id);
    }
  };
  /** Sends one result unless it is on its way already (or there is no connection: a connect flushes the outbox). */
  function sendResult(entry: OutboxEntry): void {
    if (socket.connected && !sending.has(entry.id)) sending.set(entry.id, deliver(entry));
  }
  /** Sends what is not on its way yet; resolves when every delivery under way has its answer. */
  function flushOutbox(): Promise<void> {
    for (const entry of outbox.pending()) sendResult(entry);
    return Promise.all(sending.values()).then(() => undefined);
  }

  function wire(s: Socket<MasterToAgentEvents, AgentToMasterEvents>): void {
    s.on('connect', () => {
      failures = 0;
      log.info({ master }, 'connected to master');
      startHeartbeat(config.heartbeatMs);
      logsSending.clear(); // sends on the old connection will never be answered
      void sendLogs();
      void flushOutbox();
    });
    s.on('welcome', (raw) => {
      const welcome = AgentWelcome.safeParse(raw);
      if (!welcome.success) return log.warn({ issues: welcome.error.issues }, 'ignoring malformed welcome');
      leaseMs = welcome.data.leaseMs;
      // Accepting the hello renewed the lease of the runs it listed, at a time no earlier than this connect began;
      // runs assigned before the first heartbeat's answer must not be fenced on the old renewal.
      lease.confirmed(openedAt);
      syncGuard();
      log.info({ workerId: welcome.data.workerId, heartbeatMs: welcome.data.heartbeatMs, leaseMs }, 'welcomed by master');
      beat();
      startHeartbeat(welcome.data.heartbeatMs);
    });
    s.on('disconnect', (reason) => {
      stopHeartbeat();
      if (stopping) return;
      log.warn({ master, reason }, 'disconnected from master');
      if (reason !== 'io client disconnect') reconnect();
    });
    s.on('connect_error', (err) => {
      const refusal = Refusal.safeParse((err as Error & { data?: unknown }).data);
      if (!refusal.success) {
        log.warn({ master, err: err.message }, 'cannot reach the master; trying again');
        return reconnect();
      }
      if (refusalIsFatal(refusal.data.code)) {
        log.error({ master, code: refusal.data.code, reason: refusal.data.message },
          'master refused this agent for a reason retrying cannot change; stopping (an operator must fix the credential, token or flags)');
        void shutdown({ kind: 'refused', refusal: refusal.data });
        return;
      }
      log.warn({ master, code: refusal.data.code, reason: refusal.data.message }, 'master refused the connection; trying again');
      reconnect(refusal.data.leaderUrl);
    });
    s.on('run:assign', (raw, ack) => {
      // Before the run starts: its handler may do real work at once.
      onFirstRun?.();
      onFirstRun = undefined;
      const answer = runs.assign(raw);
      syncGuard(); // a first run arms the reaper's deadline
      if (!answer.accepted) log.warn({ runId: (raw as { runId?: unknown })?.runId, reason: answer.reason, message: answer.message }, 'run rejected');
      if (typeof ack === 'function') ack(answer);
    });
    s.on('run:stop', (raw, ack) => {
      const stopped = runs.stop(raw);
      if (typeof ack === 'function') ack(stopped);
    });
  }
  wire(socket);

  // Shutdown
  let stopping: Promise<void> | null = null;
  let close!: (exit: AgentExit) => void;
  const closed = new Promise<AgentExit>((resolve) => (close = resolve));
  function shutdown(exit: AgentExit): Promise<void> {
    stopping ??= (async () => {
      log.info({ running: runs.ids().length }, 'stopping');
      await runs.drain(config.stopGraceMs);
      if (socket.connected && outbox.size) await within(flushOutbox(), FINAL_FLUSH_MS);
      if (outbox.size) log.warn({ results: outbox.size }, 'undelivered results stay in the outbox for the next start');
      stopHeartbeat();
      clearInterval(fenceCheck);
      for (const timer of timers) clearTimeout(timer);
      if (pendingRetry) clearTimeout(pendingRetry);
      socket.disconnect();
      log.info('stopped');
      close(exit);
    })();
    return stopping;
  }

  log.info({ masters: config.masterUrls, name: config.name, group: config.group, handlers: handlers.names() }, 'agent starting');
  return { stop: () => shutdown({ kind: 'stopped' }), closed };
}
