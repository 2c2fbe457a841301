// The reaper: a tiny process the agent starts with a pipe on its stdin. When the pipe closes (the agent exited,
// also by SIGKILL, which it cannot handle itself), it kills every process of the agent's runs, then exits.
// While the pipe is open it also enforces the run lease (see lease-guard.ts): the agent sends a deadline after
// every renewal, and when one passes unrenewed (the agent paused or stuck, so it cannot fence), the reaper kills
// the runs the same way and keeps going, since the agent may come back and start new ones.
// Usage: node reaper.js <instance id> [<instance cgroup dir>]
import { performance } from 'node:perf_hooks';
import { applyGuardMessage, guardDue, LineReader, parseGuardLine, type GuardDeadline } from './lease-guard.js';
import { instanceMembers } from './members.js';
import { sweepSync } from './sweep.js';

const [instance, cgroup] = process.argv.slice(2);
if (!instance) {
  process.stderr.write('usage: reaper <instance id> [<cgroup dir>]\n');
  process.exit(2);
}
const sweep = (keepCgroup: boolean) => sweepSync((table) => instanceMembers(table, instance, process.pid), cgroup || null, keepCgroup);

let deadline: GuardDeadline = null;
let timer: NodeJS.Timeout | null = null;
/** Kills the runs once the deadline has passed, else waits for it; a newer message re-enters here. */
function enforce(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  if (deadline === null) return;
  const now = performance.now();
  if (!guardDue(deadline, now)) {
    timer = setTimeout(enforce, Math.ceil(deadline - now));
    return;
  }
  // Disarmed until the agent renews again: a resumed agent renews only after a new welcome or heartbeat ack.
  deadline = null;
  sweep(true);
}

const reader = new LineReader();
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  // Several lines may have piled up while the reaper was busy: each newer one supersedes the one before.
  for (const line of reader.push(chunk)) {
    const message = parseGuardLine(line);
    if (message) deadline = applyGuardMessage(message, performance.now());
  }
  enforce();
});
process.stdin.on('close', () => {
  if (timer) clearTimeout(timer);
  sweep(false);
  process.exit(0);
});
