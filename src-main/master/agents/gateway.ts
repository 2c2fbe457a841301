// The Socket.IO gateway agents connect to: admits each handshake (admission.ts), relays the agents' events within
// their event budget, and ends the connections whose credential was revoked.
import type { Server } from 'socket.io';
import {
  AGENT_NAMESPACE, Heartbeat, RunLog, RunResult, type LogAck, type ResultAck,
} from 'baton-agent/protocol';
import { invalidInput } from '../api/contract/errors';
import { liveCredentialIds } from '../db/agent-credentials';
import type { Db } from '../db/store';
import type { Logger } from '../log';
import { admitAgents, type AdmittedAgent, type AgentNamespace } from './admission';
import { EventBucket } from './event-budget';
import { coalesceWrites } from './write-coalescing';
import type { AgentRegistry, AgentSession } from './registry';
import { WarningGate } from './warning-gate';

/** What the gateway tells the dispatcher; the gateway itself decides nothing about runs. */
export interface AgentEvents {
  online(session: AgentSession): void;
  disconnected(session: AgentSession): void;
  result(session: AgentSession, result: RunResult): Promise<ResultAck>;
  log(session: AgentSession, log: RunLog): Promise<LogAck>;
  /** True when the lease of the worker's runs was renewed (the session is still the live one). */
  heartbeat(session: AgentSession, beat: Heartbeat): boolean;
  /** How long the worker's runs are kept after its last heartbeat was received. */
  readonly leaseMs: number;
}

/** The leader's live view an agent joins; a follower has none and sends agents to the leader. */
export interface AgentTerm { registry: AgentRegistry; presence: AgentEvents }

export interface Gateway {
  /** Ends every agent connection (a term ended): the agents reconnect and are sent to the leader. */
  disconnectAll(): void;
  dispose(): void;
}

export function openGateway(
  io: Server,
  deps: {
    db: Db; log: Logger; heartbeatMs: number; term: () => AgentTerm | null; leaderUrl: () => string | null;
    /** Log batches per second per agent. */
    eventsPerSec: number;
  },
): Gateway {
  const nsp = io.of(AGENT_NAMESPACE) as unknown as AgentNamespace;
  const { log } = deps;
  admitAgents(io, nsp, deps);
  const stopSweeping = sweepRevoked(nsp, deps);

  nsp.on('connection', (socket) => {
    const { term, workerId } = socket.data as AdmittedAgent;
    if (deps.term() !== term) return void socket.disconnect(true);
    const events = term.presence;
    const session = term.registry.get(workerId)!;
    const logBudget = new EventBucket({ perSecond: deps.eventsPerSec, burst: deps.eventsPerSec * 2 }, Date.now());
    // Heartbeats have their own budget, so a busy log stream never starves them (the worker would be declared dead).
    const beatBudget = new EventBucket({ perSecond: (HEARTBEAT_SLACK * 1000) / deps.heartbeatMs, burst: 2 * HEARTBEAT_SLACK }, Date.now());
    const gate = new WarningGate(WARNING_INTERVAL_MS);
    const warn = (kind: string, fields: Record<string, unknown>) => {
      const { report, suppressed } = gate.note(kind, Date.now());
      if (report) log.warn({ worker: session.name, ...fields, alsoSinceLastLine: suppressed }, kind);
    };
    coalesceWrites(socket);
    log.info({ worker: session.name, workerId: session.workerId }, 'agent connected');
    socket.emit('welcome', { workerId: session.workerId, heartbeatMs: deps.heartbeatMs, leaseMs: events.leaseMs });
    events.online(session);

    socket.on('heartbeat', (raw, ack) => {
      if (!beatBudget.take(Date.now())) return warn('agent heartbeats faster than asked; beats refused', { heartbeatMs: deps.heartbeatMs });
      const beat = Heartbeat.safeParse(raw);
      if (!beat.success) return warn('bad heartbeat ignored', { error: invalidInput(beat.error).message });
      // No answer when not renewed: the agent then fences its runs before the master may start them elsewhere.
      if (events.heartbeat(session, beat.data) && typeof ack === 'function') ack({ renewed: true });
    });
    socket.on('run:log', (raw, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      if (!logBudget.take(Date.now())) {
        warn('agent over its log budget; batches refused', { perSecond: deps.eventsPerSec });
        return reply({ stored: false, code: 'rate_limited', message: `Over ${deps.eventsPerSec} log batches per second; batch refused, send it again later.` });
      }
      const parsed = RunLog.safeParse(raw);
      if (!parsed.success) {
        const message = invalidInput(parsed.error, 'log').message;
        warn('bad run:log refused', { error: message });
        return reply({ stored: false, code: 'invalid_input', message });
      }
      events.log(session, parsed.data).then(reply, (error: unknown) => {
        warn('could not store log lines', { err: String(error), runId: parsed.data.runId });
        reply({ stored: false, code: 'internal', message: 'The master could not store the log lines; they will be resent.' });
      });
    });
    socket.on('run:result', (raw, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = RunResult.safeParse(raw);
      if (!parsed.success) {
        const message = invalidInput(parsed.error, 'result').message;
        warn('bad run:result refused', { error: message });
        return reply({ stored: false, code: 'invalid_input', message });
      }
      events.result(session, parsed.data).then(reply, (error: unknown) => {
        log.error({ err: error, runId: parsed.data.runId }, 'storing a result failed');
        reply({ stored: false, code: 'internal', message: 'The master could not store the result; it will be resent.' });
      });
    });
    socket.on('disconnect', (reason) => {
      log.info({ worker: session.name, reason }, 'agent disconnected');
      for (const { kind, suppressed } of gate.drain()) log.warn({ worker: session.name, suppressed }, `${kind} (held back until the agent left)`);
      if (session.socket === socket) session.socket = null;
      // A newer connection of the same worker may have replaced this one already: that one is online.
      if (term.registry.get(workerId) === session) events.disconnected(session);
    });
  });

  return {
    disconnectAll: () => nsp.disconnectSockets(true),
    dispose: () => {
      stopSweeping();
      nsp.removeAllListeners();
      nsp.disconnectSockets(true);
    },
  };
}

/** Heartbeats an agent may send per heartbeat interval (it beats once per interval, and once more on welcome). */
const HEARTBEAT_SLACK = 4;

/** Per agent: one line per kind of warning and interval, with a count (malformed events are cheap to send). */
const WARNING_INTERVAL_MS = 10_000;

/**
 * Ends the connections of agents whose credential was revoked, on any master sharing the database. Checked twice a
 * heartbeat so a revoked agent is gone within one heartbeat; the existing liveness path then loses its runs.
 */
function sweepRevoked(nsp: AgentNamespace, deps: { db: Db; log: Logger; heartbeatMs: number }): () => void {
  let sweeping = false;
  const sweep = async () => {
    const sockets = [...nsp.sockets.values()].filter((s) => (s.data as Partial<AdmittedAgent>).credentialId);
    if (sockets.length === 0) return;
    const live = await liveCredentialIds(deps.db, [...new Set(sockets.map((s) => (s.data as AdmittedAgent).credentialId))]);
    for (const socket of sockets) {
      if (live.has((socket.data as AdmittedAgent).credentialId)) continue;
      deps.log.warn({ workerId: (socket.data as AdmittedAgent).workerId }, 'agent credential revoked; disconnected');
      socket.disconnect(true);
    }
  };
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweep().catch((error: unknown) => deps.log.warn({ err: error }, 'could not check agent credentials'))
      .finally(() => { sweeping = false; });
  }, Math.max(50, Math.floor(deps.heartbeatMs / 2)));
  return () => clearInterval(timer);
}
