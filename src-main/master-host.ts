// The master and the local agent for the desktop app, in an Electron utility process (plain Node) rather than the
// main process: there, stopping child processes (agent, PostgreSQL) sometimes stalled the main process's event loop
// on quit (seen in about 1 quit in 6 on Linux). The shell talks to this process by messages only.
import './master/v8-footprint';
import path from 'node:path';
import { z } from 'zod';
import { EventTopic, type ConsoleEvent } from './master/api/contract/events';
import { startLocalAgent, type LocalAgent } from './master/agents/local-agent';
import { resolveConfig } from './master/config';
import type { Subscription } from './master/events/feed';
import { startMaster, type Master } from './master/index';
import { probeDatabase } from './master/db/probe';
import { probeSmtp } from './master/settings/smtp-probe';
import { desktopSettings, readSettingsFile, SETTINGS_FILE, settingsEnv, settingsOfEnv } from './master/settings/desktop-settings';
import { describeStartupFailure } from './master/startup-failure';

export const HostRequest = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: z.number().int(), method: z.string(), input: z.unknown() }),
  z.object({ type: z.literal('stop') }),
  /** The console's topics (issue 8): events of these are posted to the shell, which hands them to the window. */
  z.object({ type: z.literal('watch'), topics: z.array(EventTopic) }),
  z.object({ type: z.literal('unwatch'), topics: z.array(EventTopic) }),
]);
export type HostRequest = z.infer<typeof HostRequest>;

export type HostEvent =
  | { type: 'ready'; agentUrl: string; dataDir: string }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; reply: unknown }
  | { type: 'stopped'; code: number }
  | { type: 'event'; event: ConsoleEvent };

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: HostEvent): void;
}

const port = (process as unknown as { parentPort: ParentPort }).parentPort;
let parts: { master: Master; agent: LocalAgent } | null = null;
/** Topics the console asked for before the master was up. */
const early: EventTopic[] = [];
let watcher: Subscription | null = null;
let stopping: Promise<void> | null = null;

async function start(): Promise<void> {
  // The Settings page's file lies beneath the environment: a BATON_* variable set by the operator still wins.
  const file = path.join(resolveConfig(process.env).dataDir, SETTINGS_FILE);
  const saved = await readSettingsFile(file);
  const env = { ...(saved ? settingsEnv(saved) : {}), ...process.env };
  const config = resolveConfig(env);
  const settings = desktopSettings({ file, env: process.env, running: settingsOfEnv(env), probes: { database: probeDatabase, smtp: probeSmtp } });
  const master = await startMaster(config, { consoleDir: process.env.BATON_CONSOLE_DIR || undefined, settings });
  try {
    const agent = await startLocalAgent(master, {
      execPath: process.execPath,
      // Electron's own binary runs the agent as plain Node, so the app needs no separate Node install.
      env: { ELECTRON_RUN_AS_NODE: '1' },
      log: (line) => console.log(`agent: ${line}`),
      // Quitting asked the operator about runs in flight first (index.ts): what is left gets a short grace.
      stopGraceMs: 3_000,
    });
    parts = { master, agent };
    const subscription = master.events.subscribe((event) => port.postMessage({ type: 'event', event }));
    subscription.watch(early);
    watcher = subscription;
    port.postMessage({ type: 'ready', agentUrl: master.agentUrl, dataDir: config.dataDir });
  } catch (error) {
    await master.stop();
    throw error;
  }
}

async function stop(): Promise<void> {
  let code = 0;
  for (const name of ['agent', 'master'] as const) {
    try {
      await parts?.[name].stop();
    } catch (error) {
      console.error(`baton: stopping the ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      code = 1;
    }
  }
  port.postMessage({ type: 'stopped', code });
  process.exit(code);
}

port.on('message', ({ data }) => {
  const request = HostRequest.safeParse(data);
  if (!request.success) return console.error(`baton: ignored a malformed message from the shell: ${request.error.message}`);
  const msg = request.data;
  if (msg.type === 'stop') {
    stopping ??= stop();
    return;
  }
  if (msg.type === 'watch' || msg.type === 'unwatch') {
    if (watcher) return msg.type === 'watch' ? watcher.watch(msg.topics) : watcher.unwatch(msg.topics);
    if (msg.type === 'watch') return void early.push(...msg.topics);
    for (const topic of msg.topics) {
      const at = early.indexOf(topic);
      if (at >= 0) early.splice(at, 1);
    }
    return;
  }
  if (!parts) {
    port.postMessage({ type: 'reply', id: msg.id, reply: { ok: false, error: { code: 'unavailable', message: 'The master is still starting.' } } });
    return;
  }
  void parts.master.handle(msg.method, msg.input).then((reply) => port.postMessage({ type: 'reply', id: msg.id, reply }));
});

start().catch((error: unknown) => {
  port.postMessage({ type: 'failed', message: describeStartupFailure(error).message });
  process.exit(1);
});
