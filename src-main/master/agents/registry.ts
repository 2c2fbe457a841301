// The live view of connected agents: what each runs now and its latest metrics. Routing reads candidates from here.
import type { Socket } from 'socket.io';
import type { AgentToMasterEvents, MasterToAgentEvents } from 'baton-agent/protocol';
import type { AdminState } from '../db/workers';
import type { Candidate } from '../dispatch/routing';

export type AgentSocket = Socket<AgentToMasterEvents, MasterToAgentEvents>;

export interface AgentSession {
  workerId: string;
  name: string;
  groupId: string;
  handlers: string[];
  labels: Record<string, string>;
  capacity: number;
  admin: AdminState;
  socket: AgentSocket | null;
  running: Set<string>;
  cpu: number;
  memory: number;
  load1: number;
  lastBeatAt: number;
  lastAssignedAt: number | null;
  order: number;
}

export class AgentRegistry {
  private readonly sessions = new Map<string, AgentSession>();
  private nextOrder = 0;

  get(workerId: string): AgentSession | undefined {
    return this.sessions.get(workerId);
  }

  all(): AgentSession[] {
    return [...this.sessions.values()];
  }

  connected(): AgentSession[] {
    return this.all().filter((s) => s.socket !== null);
  }

  upsert(session: Omit<AgentSession, 'order'>): AgentSession {
    const previous = this.sessions.get(session.workerId);
    const next = { ...session, order: previous?.order ?? this.nextOrder++ };
    this.sessions.set(session.workerId, next);
    return next;
  }

  remove(workerId: string): void {
    this.sessions.delete(workerId);
  }

  candidates(latency: Map<string, number>): Candidate[] {
    return this.connected().map((s) => ({
      id: s.workerId,
      name: s.name,
      status: s.admin === 'enabled' ? 'online' : s.admin,
      groupId: s.groupId,
      handlers: s.handlers,
      labels: s.labels,
      capacity: s.capacity,
      running: s.running.size,
      cpu: s.cpu,
      memory: s.memory,
      lastAssignedAt: s.lastAssignedAt,
      recentLatencyMs: latency.get(s.workerId) ?? null,
      order: s.order,
      lastHeartbeatAt: s.lastBeatAt,
    }));
  }
}
