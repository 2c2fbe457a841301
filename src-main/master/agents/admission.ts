// Who gets in: the agent handshake (a credential bound to one worker), the enrolment exchange, and no default
// namespace. Nothing is created for a refused agent: no group, no worker row (issue 7, findings 4, 5 and 8).
import type { Namespace, Server, Socket } from 'socket.io';
import {
  AgentHello, ENROL_NAMESPACE, EnrolHello,
  type AgentToMasterEvents, type EnrolReply, type EnrolToMasterEvents, type MasterToAgentEvents, type Refusal,
} from 'baton-agent/protocol';
import { invalidInput } from '../api/contract/errors';
import { exchangeEnrolment, lookUpCredential } from '../db/agent-credentials';
import { findGroupByName } from '../db/groups';
import { recordAnnounced } from '../db/handler-catalogue';
import { announcedSchemaProblem } from '../handlers/catalogue';
import type { Db } from '../db/store';
import { workerConnected } from '../db/workers';
import type { Logger } from '../log';
import { credentialRefusal } from './identity-rules';
import type { AgentSocket } from './registry';
import type { AgentTerm } from './gateway';
import { WarningGate } from './warning-gate';

export type AgentNamespace = Namespace<AgentToMasterEvents, MasterToAgentEvents>;

/** What a connected agent's socket carries from its handshake. */
export interface AdmittedAgent { workerId: string; term: AgentTerm; credentialId: string }

/** One warning line per refusal code and interval, with a count (refusals are cheap for anyone to cause). */
const WARNING_INTERVAL_MS = 10_000;

export function refuse(code: Refusal['code'], message: string, leaderUrl?: string): Error & { data: Refusal } {
  return Object.assign(new Error(message), { data: { code, message, ...(leaderUrl ? { leaderUrl } : {}) } });
}

export interface AdmissionDeps { db: Db; log: Logger; term: () => AgentTerm | null; leaderUrl: () => string | null }

export function admitAgents(io: Server, nsp: AgentNamespace, deps: AdmissionDeps): void {
  const gate = new WarningGate(WARNING_INTERVAL_MS);
  const refused = (socket: Socket, refusal: Error & { data: Refusal }, fields: Record<string, unknown> = {}) => {
    const { report, suppressed } = gate.note(refusal.data.code, Date.now());
    if (report) deps.log.warn({ ...fields, code: refusal.data.code, address: socket.handshake.address, alsoRefusedSinceLastLine: suppressed }, `agent refused: ${refusal.message}`);
    return refusal;
  };

  // Agents use /agent and /enrol only; the default namespace would let anyone hold a connection open for free.
  io.of('/').use((socket, next) => next(refused(socket, refuse('wrong_namespace', `Connect to /agent (agents) or ${ENROL_NAMESPACE} (enrolment); "/" accepts no connections.`))));

  io.of(ENROL_NAMESPACE).use((socket, next) => {
    const hello = EnrolHello.safeParse(socket.handshake.auth);
    if (!hello.success) return next(refused(socket, refuse('bad_hello', `Enrolment refused: ${invalidInput(hello.error, 'auth').message}`)));
    socket.data = hello.data;
    next();
  });
  io.of(ENROL_NAMESPACE).on('connection', (socket: Socket<EnrolToMasterEvents>) => {
    const ask = socket.data as EnrolHello;
    socket.once('enrol', (ack) => {
      const reply = (r: EnrolReply) => { if (typeof ack === 'function') ack(r); socket.disconnect(true); };
      exchangeEnrolment(deps.db, ask, Date.now()).then((exchange) => {
        if (exchange.ok) {
          deps.log.info({ worker: ask.name, group: ask.group }, 'agent enrolled: credential issued');
          return reply({ ok: true, credential: exchange.credential });
        }
        refused(socket, refuse(exchange.refusal.code, exchange.refusal.message), { worker: ask.name, group: ask.group });
        reply({ ok: false, ...exchange.refusal });
      }, (error: unknown) => {
        deps.log.error({ err: error }, 'enrolment failed');
        reply({ ok: false, code: 'bad_hello', message: 'The master could not enrol the agent; see the master log.' });
      });
    });
  });

  nsp.use((socket, next) => {
    const term = deps.term();
    if (!term) {
      const leaderUrl = deps.leaderUrl();
      return next(refuse('not_leader', leaderUrl ? `This master follows; the leader is ${leaderUrl}.` : 'This master follows and no leader is elected yet.', leaderUrl ?? undefined));
    }
    const parsed = AgentHello.safeParse(socket.handshake.auth);
    if (!parsed.success) return next(refused(socket, refuse('bad_hello', `Agent handshake refused: ${invalidInput(parsed.error, 'auth').message}`)));
    const hello = parsed.data;
    admit(socket as AgentSocket, hello, term).then(next, (error: unknown) => {
      deps.log.error({ err: error }, 'agent handshake failed');
      next(refuse('bad_hello', 'The master could not register the agent; see the master log.'));
    });
  });

  async function admit(socket: AgentSocket, hello: AgentHello, term: AgentTerm): Promise<Error | undefined> {
    const presented = await lookUpCredential(deps.db, hello.token);
    const refusal = presented === null && hello.token.startsWith('bt_')
      ? { code: 'bad_token' as const, message: 'That is not an agent credential. baton-agent trades an enrolment token for its credential by itself on its first start; pass the enrolment token with --token-file.' }
      : credentialRefusal(presented?.facts ?? null, hello);
    if (refusal) return refused(socket, refuse(refusal.code, refusal.message), { worker: hello.name, group: hello.group });
    // Compiled only for an agent whose credential holds: compiling costs more than parsing (issue 9).
    const schemaProblem = announcedSchemaProblem(hello.handlerParams ?? {});
    if (schemaProblem) return refused(socket, refuse('bad_hello', `Agent handshake refused: ${schemaProblem}`), { worker: hello.name, group: hello.group });
    const group = (await findGroupByName(deps.db, hello.group))!;
    // Checked before the worker row is touched: a refused duplicate must not rewrite the connected agent's row.
    const connected = term.registry.all().find((s) => s.groupId === group.id && s.name === hello.name);
    if (connected?.socket?.connected) return refuse('duplicate_name', `An agent named "${hello.name}" is already connected in group "${hello.group}".`);
    const { worker, admin } = await workerConnected(deps.db, { ...hello, groupId: group.id });
    await recordAnnounced(deps.db, group.id, hello.name, hello.handlers, hello.handlerParams ?? {});
    const existing = term.registry.get(worker.id);
    if (deps.term() !== term) return refuse('not_leader', 'This master stopped leading while the agent joined.', deps.leaderUrl() ?? undefined);
    socket.data = { workerId: worker.id, term, credentialId: presented!.id } satisfies AdmittedAgent;
    term.registry.upsert({
      workerId: worker.id, name: worker.name, groupId: group.id, handlers: hello.handlers, labels: hello.labels,
      capacity: hello.capacity, admin, socket, running: new Set(hello.running),
      cpu: 0, memory: 0, load1: 0, lastBeatAt: Date.now(), lastAssignedAt: existing?.lastAssignedAt ?? null,
    });
    return undefined;
  }
}
