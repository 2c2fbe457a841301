// A Baton master in its own process, driven by the benchmark over IPC, so its RSS/CPU are its own
// and it can be profiled (inspector CPU profile when BENCH_CPU_PROF_DIR is set). Messages: {id, call, input} → {id, reply}; {id, sample} → {id, sample}.
import '../src-main/master/v8-footprint';
import fs from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resolveConfig } from '../src-main/master/config';
import { startMaster } from '../src-main/master/index';
import { createLogger } from '../src-main/master/log';

type Request = { id: number; call: string; input: unknown } | { id: number; sample: true } | { stop: true };

const send = (message: unknown) => process.send!(message);
const config = resolveConfig({ ...process.env, BATON_PORT: '0' });
const logFile = process.env.BENCH_MASTER_LOG;
// CPU profile through the inspector rather than --cpu-prof, so it is written at `stop` even when an
// overloaded master then needs killing.
const profDir = process.env.BENCH_CPU_PROF_DIR;
const profiler = profDir ? new Session() : null;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const master = await startMaster(config, { logger: createLogger(process.env.BATON_LOG_LEVEL ?? 'info', logFile) });

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let lastCpu = process.cpuUsage();
let lastAt = performance.now();

function sample() {
  const cpu = process.cpuUsage(lastCpu);
  const now = performance.now();
  const wallMs = now - lastAt;
  lastCpu = process.cpuUsage();
  lastAt = now;
  const s = {
    rssMb: process.memoryUsage().rss / 1_048_576,
    heapMb: process.memoryUsage().heapUsed / 1_048_576,
    cpuPct: ((cpu.user + cpu.system) / 1_000 / wallMs) * 100,
    loopP99Ms: loop.percentile(99) / 1e6,
    loopMaxMs: loop.max / 1e6,
  };
  loop.reset();
  return s;
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  loop.disable();
  if (profiler && profDir) {
    const { profile } = await profiler.post('Profiler.stop');
    await fs.writeFile(path.join(profDir, `master-${process.pid}.cpuprofile`), JSON.stringify(profile));
  }
  await master.stop();
  // process.exit still writes the --cpu-prof profile.
  process.exit(0);
}

process.on('message', (raw) => {
  const m = raw as Request;
  if ('stop' in m) return void stop();
  if ('sample' in m) return send({ id: m.id, sample: sample() });
  void master.handle(m.call, m.input).then((reply) => send({ id: m.id, reply }));
});
process.on('disconnect', () => void stop());
send({ ready: true, agentUrl: master.agentUrl });
