// The agent's V8 settings (issue 11): Turbofan stays off while the agent starts, for a small idle footprint, and
// is back once it is up, so runs (handler modules doing real work) are optimised as usual. Checked in a fresh
// Node process, as the flags are process-wide.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'baton-v8-footprint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether a fresh function gets Turbofan code when asked to, at each step (V8 status bit 6: TurboFanned). */
function turbofanAt(steps: 'control' | 'agent'): { start: boolean; up: boolean } {
  const footprint = pathToFileURL(resolve('worker-agent/src/v8-footprint.ts')).href;
  const script = join(dir, `${steps}.mjs`);
  writeFileSync(script, `
    // Natives syntax through Function, so the TypeScript loader never parses it.
    const optimised = new Function(\`
      const f = (x) => x * 2 + 1;
      %PrepareFunctionForOptimization(f); f(1); f(2); %OptimizeFunctionOnNextCall(f); f(3);
      return (%GetOptimizationStatus(f) & 64) !== 0;\`);
    const footprint = ${steps === 'agent' ? `await import(${JSON.stringify(footprint)})` : 'null'};
    const start = optimised();
    footprint?.firstRun();
    console.log(JSON.stringify({ start, up: optimised() }));
  `);
  const out = spawnSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
  expect(out.stderr).toBe('');
  return JSON.parse(out.stdout) as { start: boolean; up: boolean };
}

describe('agent V8 footprint', () => {
  it('without it, V8 optimises at once (the check itself works)', () => {
    expect(turbofanAt('control')).toEqual({ start: true, up: true });
  });

  it('with it, nothing is optimised during start-up, and optimising is back once the agent is up', () => {
    expect(turbofanAt('agent')).toEqual({ start: false, up: true });
  });
});
