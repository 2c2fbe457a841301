// Console events: what a master pushes to consoles (Socket.IO `/console` in a browser, IPC in Electron) so
// screens follow changes without polling. Typed once here; the renderer and both transports share it.
import { z } from 'zod';
import { Run, RunLogLine, Worker } from './domain';

/** Where a browser console connects for events (the master's Socket.IO server, beside `/agent`). */
export const CONSOLE_NAMESPACE = '/console';

/** A run as events carry it: without its output (up to megabytes; the run page reads it with runs.get). */
export const RunChange = Run.omit({ output: true }).extend({ groupId: z.string() });
export type RunChange = z.infer<typeof RunChange>;

export const ConsoleEvent = z.discriminatedUnion('kind', [
  /** A run was created or changed state. */
  z.object({ kind: z.literal('run.changed'), run: RunChange }),
  /** Log lines a run's agent sent (one stored batch), only to clients watching that run's log. */
  z.object({ kind: z.literal('run.log'), runId: z.string(), lines: z.array(RunLogLine) }),
  /** A worker joined, left, changed its admin state or sent new figures. */
  z.object({ kind: z.literal('worker.changed'), worker: Worker }),
  /** A worker row is gone. */
  z.object({ kind: z.literal('worker.removed'), id: z.string() }),
  /** A task was created, changed or deleted: read it again (tasks.get / tasks.list). */
  z.object({ kind: z.literal('task.changed'), id: z.string() }),
  z.object({ kind: z.literal('group.changed'), id: z.string() }),
  /**
   * Events may have been missed (the master's database connection came back, the client reconnected, or more changed
   * at once than events carry): read everything watched again.
   */
  z.object({ kind: z.literal('sync'), reason: z.string() }),
]);
export type ConsoleEvent = z.infer<typeof ConsoleEvent>;
export type ConsoleEventKind = ConsoleEvent['kind'];

/**
 * What a client watches: every run's changes, workers, tasks, groups, or one run's log. A client receives only
 * the topics it subscribed to (a run's log lines are read from the database only while someone watches it).
 */
export const EventTopic = z.union([
  z.enum(['runs', 'workers', 'tasks', 'groups']),
  z.string().regex(/^log:run_[0-9a-z]{9}[0-9a-f]{12}$/, 'must be runs, workers, tasks, groups or log:<run id>'),
]);
export type EventTopic = z.infer<typeof EventTopic>;

/** The topic an event belongs to ("sync" goes to every client). */
export function topicOf(event: ConsoleEvent): EventTopic | null {
  switch (event.kind) {
    case 'run.changed': return 'runs';
    case 'run.log': return `log:${event.runId}`;
    case 'worker.changed':
    case 'worker.removed': return 'workers';
    case 'task.changed': return 'tasks';
    case 'group.changed': return 'groups';
    case 'sync': return null;
  }
}

/** A client's subscribe/unsubscribe message over Socket.IO; the answer is `{ ok: true }` or a wire error. */
export const TopicRequest = z.strictObject({ topics: z.array(EventTopic).min(1).max(64) });
export type TopicRequest = z.infer<typeof TopicRequest>;

/** Socket.IO event maps of the console namespace (STYLE rule 6: declared once). */
export interface ConsoleServerEvents {
  event(event: ConsoleEvent): void;
}
export interface ConsoleClientEvents {
  subscribe(request: TopicRequest, ack: (reply: { ok: true } | { ok: false; error: { code: string; message: string; field?: string } }) => void): void;
  unsubscribe(request: TopicRequest, ack: (reply: { ok: true } | { ok: false; error: { code: string; message: string; field?: string } }) => void): void;
}
