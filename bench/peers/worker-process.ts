// The child side of a peer worker process: read the config, start the system's worker, count handled jobs, stop on request.
import { CONFIG_ENV, fromWorker, toWorker, workerConfigSchema, type FromWorker, type WorkerConfig } from './worker-protocol';

/** Starts the system's worker; `handled()` is called once per job its handler ran. Returns how to stop it gracefully. */
export type StartWorker = (config: WorkerConfig, handled: () => void) => Promise<() => Promise<void>>;

// Resolves once the message is handed to the channel, so exiting right after does not drop it.
function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(fromWorker.parse(message), undefined, {}, () => resolve());
  });
}

export async function serveJobs(start: StartWorker): Promise<void> {
  // Without the benchmark (its IPC channel gone) a worker has no reason to live.
  process.once('disconnect', () => process.exit(1));
  let handled = 0;
  let stop: () => Promise<void>;
  try {
    const config = workerConfigSchema.parse(JSON.parse(process.env[CONFIG_ENV] ?? 'null'));
    stop = await start(config, () => { handled++; });
  } catch (error) {
    await send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  process.on('message', (raw) => {
    if (!toWorker.safeParse(raw).success) return;
    void stop().then(
      () => send({ type: 'stopped', handled }),
      (error: unknown) => send({ type: 'error', message: `stop failed: ${error instanceof Error ? error.message : String(error)}` }),
    ).finally(() => process.exit(0));
  });
  await send({ type: 'ready' });
}
