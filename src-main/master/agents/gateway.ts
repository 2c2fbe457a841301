// The Socket.IO gateway agents connect to: checks each handshake, registers the worker, relays its events.
import type { Server } from 'socket.io';
import {
  AGENT_NAMESPACE, AgentHello, Heartbeat, RunLog, RunResult,
  type AgentToMasterEvents, type LogAck, type MasterToAgentEvents, type Refusal, type ResultAck,
} from 'baton-agent/protocol';
import { invalidInput } from '../api/contract/errors';
import { ensureGroup } from '../db/groups';
import type { Db } from '../db/store';
import { verifyToken } from '../db/tokens';
import { workerConnected } from '../db/workers';
import type { Logger } from '../log';
import type { AgentRegistry, AgentSession, AgentSocket } from './registry';

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

function refuse(code: Refusal['code'], message: string, leaderUrl?: string): Error & { data: Refusal } {
  return Object.assign(new Error(message), { data: { code, message, ...(leaderUrl ? { leaderUrl } : {}) } });
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
  deps: { db: Db; log: Logger; heartbeatMs: number; term: () => AgentTerm | null; leaderUrl: () => string | null },
): Gateway {
  const nsp = io.of(AGENT_NAMESPACE) as unknown as import('socket.io').Namespace<AgentToMasterEvents, MasterToAgentEvents>;
  const { db, log } = deps;

  nsp.use((socket, next) => {
    const term = deps.term();
    if (!term) {
      const leaderUrl = deps.leaderUrl();
      return next(refuse('not_leader', leaderUrl ? `This master follows; the leader is ${leaderUrl}.` : 'This master follows and no leader is elected yet.', leaderUrl ?? undefined));
    }
    const { registry } = term;
    const parsed = AgentHello.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      const message = `Agent handshake refused: ${invalidInput(parsed.error, 'auth').message}`;
      log.warn({ address: socket.handshake.address }, message);
      return next(refuse('bad_hello', message));
    }
    const hello = parsed.data;
    verifyToken(db, hello.token, 'agent').then(async (check) => {
      if (!check.ok) {
        log.warn({ agent: hello.name, address: socket.handshake.address, otherScope: check.otherScope }, 'agent refused: not a live agent token');
        const what = check.otherScope === 'api' ? 'That is an API key, not an agent token.' : 'The agent token is unknown or revoked.';
        return next(refuse('bad_token', `${what} Create an agent token in the console (Tokens) or with \`baton-master token create <label>\`, and pass it with --token.`));
      }
      const group = await ensureGroup(db, hello.group);
      const { worker, admin } = await workerConnected(db, { ...hello, groupId: group.id });
      const existing = registry.get(worker.id);
      if (existing?.socket?.connected) {
        return next(refuse('duplicate_name', `An agent named "${hello.name}" is already connected in group "${hello.group}".`));
      }
      if (deps.term() !== term) return next(refuse('not_leader', 'This master stopped leading while the agent joined.', deps.leaderUrl() ?? undefined));
      socket.data = { workerId: worker.id, term };
      registry.upsert({
        workerId: worker.id, name: worker.name, groupId: group.id, handlers: hello.handlers, labels: hello.labels,
        capacity: hello.capacity, admin, socket: socket as AgentSocket, running: new Set(hello.running),
        cpu: 0, memory: 0, load1: 0, lastBeatAt: Date.now(), lastAssignedAt: existing?.lastAssignedAt ?? null,
      });
      next();
    }).catch((error: unknown) => {
      log.error({ err: error }, 'agent handshake failed');
      next(refuse('bad_hello', 'The master could not register the agent; see the master log.'));
    });
  });

  nsp.on('connection', (socket) => {
    const term = socket.data.term as AgentTerm;
    if (deps.term() !== term) return void socket.disconnect(true);
    const events = term.presence;
    const session = term.registry.get(socket.data.workerId as string)!;
    log.info({ worker: session.name, workerId: session.workerId }, 'agent connected');
    socket.emit('welcome', { workerId: session.workerId, heartbeatMs: deps.heartbeatMs, leaseMs: events.leaseMs });
    events.online(session);

    socket.on('heartbeat', (raw, ack) => {
      const beat = Heartbeat.safeParse(raw);
      if (!beat.success) return void log.warn({ worker: session.name, error: invalidInput(beat.error).message }, 'bad heartbeat ignored');
      // No answer when not renewed: the agent then fences its runs before the master may start them elsewhere.
      if (events.heartbeat(session, beat.data) && typeof ack === 'function') ack({ renewed: true });
    });
    socket.on('run:log', (raw, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = RunLog.safeParse(raw);
      if (!parsed.success) {
        const message = invalidInput(parsed.error, 'log').message;
        log.warn({ worker: session.name, error: message }, 'bad run:log refused');
        return reply({ stored: false, code: 'invalid_input', message });
      }
      events.log(session, parsed.data).then(reply, (error: unknown) => {
        log.warn({ err: error, runId: parsed.data.runId }, 'storing log lines failed');
        reply({ stored: false, code: 'internal', message: 'The master could not store the log lines; they will be resent.' });
      });
    });
    socket.on('run:result', (raw, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = RunResult.safeParse(raw);
      if (!parsed.success) {
        const message = invalidInput(parsed.error, 'result').message;
        log.warn({ worker: session.name, error: message }, 'bad run:result refused');
        return reply({ stored: false, code: 'invalid_input', message });
      }
      events.result(session, parsed.data).then(reply, (error: unknown) => {
        log.error({ err: error, runId: parsed.data.runId }, 'storing a result failed');
        reply({ stored: false, code: 'internal', message: 'The master could not store the result; it will be resent.' });
      });
    });
    socket.on('disconnect', (reason) => {
      log.info({ worker: session.name, reason }, 'agent disconnected');
      if (session.socket === socket) session.socket = null;
      events.disconnected(session);
    });
  });

  return {
    disconnectAll: () => nsp.disconnectSockets(true),
    dispose: () => {
      nsp.removeAllListeners();
      nsp.disconnectSockets(true);
    },
  };
}
