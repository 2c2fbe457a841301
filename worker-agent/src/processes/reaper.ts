// The reaper: a tiny process the agent starts with a pipe on its stdin. When the pipe closes (the agent exited,
// also by SIGKILL, which it cannot handle itself), it kills every process of the agent's runs, then exits.
// Usage: node reaper.js <instance id> [<instance cgroup dir>]
import { instanceMembers } from './members.js';
import { sweepSync } from './sweep.js';

const [instance, cgroup] = process.argv.slice(2);
if (!instance) {
  process.stderr.write('usage: reaper <instance id> [<cgroup dir>]\n');
  process.exit(2);
}
process.stdin.on('data', () => {}); // nothing is ever sent; reading only notices the end
process.stdin.on('close', () => {
  sweepSync((table) => instanceMembers(table, instance, process.pid), cgroup || null);
  process.exit(0);
});
