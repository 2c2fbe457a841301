// Summarises a .cpuprofile (from `npm run bench -- <name> --cpu-prof`): self time per function and per file.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const files = new Map();
for (const [id, us] of self) {
  const { callFrame: c } = byId.get(id);
  const where = c.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'nm:').replace(process.cwd() + '/', '');
  const key = `${c.functionName || '(anonymous)'}  ${where}:${c.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const pkg = where.startsWith('nm:') ? where.split('/').slice(0, where.startsWith('nm:@') ? 2 : 1).join('/') : where || c.functionName;
  files.set(pkg, (files.get(pkg) ?? 0) + us);
}
const show = (title, m) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
};
console.log(`total sampled ${(total / 1000).toFixed(0)} ms`);
show('self time by package / file', files);
show('self time by function', fn);

// Where the top native self-time functions (writev and the like) are called from: the nearest JS frames.
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const focus = process.argv[4];
if (focus) {
  const stacks = new Map();
  for (const [id, us] of self) {
    if (byId.get(id).callFrame.functionName !== focus) continue;
    const chain = [];
    for (let p = parent.get(id); p !== undefined && chain.length < 10; p = parent.get(p)) {
      const c = byId.get(p).callFrame;
      if (!c.url) continue;
      chain.push(`${c.functionName || '(anon)'}@${c.url.replace(/.*node_modules\//, '').replace(/.*\/work\/main\//, '')}:${c.lineNumber + 1}`);
    }
    const key = chain.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  show(`callers of ${focus}`, stacks);
}
