// Handlers from --handlers-dir (issue 9): modules become handlers like the built-ins, announced with their params
// schema; a malformed module or a clashing name is a start-up error naming the file.
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../worker-agent/src/config';
import { offeredHandlers } from '../../../worker-agent/src/handler-modules';
import { HANDLERS } from '../../../worker-agent/src/executors/index';
import { assignment, Recorder, tempDir } from './helpers';

// Handler modules live outside the agent's tree; the zod one imports zod by its full path.
const ZOD = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;

const RESIZE = `export default {
  name: 'resize',
  params: { type: 'object', properties: { width: { type: 'integer', minimum: 1 }, path: { type: 'string' } },
            required: ['width'], additionalProperties: false },
  async run(ctx) { ctx.log('resizing to ' + ctx.params.width); return { width: ctx.params.width, run: ctx.runId, attempt: ctx.attempt }; },
};`;
const WAIT = `import { z } from ${JSON.stringify(ZOD)};
export const name = 'wait-for-abort';
export const params = z.object({ label: z.string().default('x') });
export function run(ctx) {
  return new Promise((resolve) => ctx.signal.addEventListener('abort', () => { globalThis.abortedWith = String(ctx.signal.reason); resolve('late'); }));
}`;

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = join(await tempDir(), 'handlers');
  await mkdir(dir);
  for (const [file, source] of Object.entries(files)) await writeFile(join(dir, file), source);
  return dir;
}

async function startupError(dir: string, enabled: string[] | null = null): Promise<ConfigError> {
  try {
    await offeredHandlers(dir, enabled);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('handlers from --handlers-dir', () => {
  it('offers every module beside the built-ins and announces each params schema', async () => {
    const set = await offeredHandlers(await dirWith({ 'resize.mjs': RESIZE, 'wait.js': WAIT, 'README.md': '# not a module' }), null);
    expect(set.names()).toEqual([...HANDLERS, 'resize', 'wait-for-abort']);
    const schemas = set.schemas();
    expect(schemas.resize).toMatchObject({ type: 'object', required: ['width'] });
    // The zod module's schema is announced as JSON Schema, made from the same zod schema.
    expect(schemas['wait-for-abort']).toMatchObject({ type: 'object', properties: { label: { type: 'string', default: 'x' } } });
    expect(schemas.shell).toMatchObject({ type: 'object', required: ['command'] });
  });

  it('runs a module handler with the run context and checks its params with its schema', async () => {
    const set = await offeredHandlers(await dirWith({ 'resize.mjs': RESIZE }), null);
    expect(set.prepare(assignment('resize', { width: 0 }))).toMatchObject({ ok: false, reason: 'bad_params', message: 'params.width: must be >= 1' });
    expect(set.prepare(assignment('resize', { width: 5, color: 'red' }))).toMatchObject({
      ok: false, message: 'params.color: is not a param this handler takes',
    });
    expect(set.prepare(assignment('resize', {}))).toMatchObject({ ok: false, message: 'params.width: is required' });
    const prepared = set.prepare(assignment('resize', { width: 640 }, { attempt: 2 }));
    if (!prepared.ok) throw new Error(prepared.message);
    const io = new Recorder();
    const outcome = await prepared.start(io).done;
    expect(outcome).toMatchObject({ state: 'succeeded' });
    expect(JSON.parse(outcome.output)).toMatchObject({ width: 640, attempt: 2 });
    expect(io.text()).toEqual(['resizing to 640']);
  });

  it('aborts the signal of a module handler when its run is stopped (fencing), and the run ends', async () => {
    const set = await offeredHandlers(await dirWith({ 'wait.mjs': WAIT }), null);
    const prepared = set.prepare(assignment('wait-for-abort', {}));
    if (!prepared.ok) throw new Error(prepared.message);
    const run = prepared.start(new Recorder());
    run.stop('fenced');
    expect(await run.done).toMatchObject({ state: 'failed', error: expect.stringMatching(/fencing/) });
    expect((globalThis as { abortedWith?: string }).abortedWith).toBe('Error: fenced');
  });

  it('narrows to --handlers, which may name module handlers, and refuses a name nobody offers', async () => {
    const dir = await dirWith({ 'resize.mjs': RESIZE });
    expect((await offeredHandlers(dir, ['resize', 'shell'])).names()).toEqual(['shell', 'resize']);
    expect((await startupError(dir, ['resize', 'ftp'])).message).toBe(
      `--handlers: unknown handler(s) ftp; available: ${[...HANDLERS, 'resize'].join(', ')}`,
    );
  });

  it.each([
    ['syntax error', { 'broken.mjs': 'export default {' }, /broken\.mjs: cannot load the module/],
    ['no name', { 'anon.mjs': 'export default { params: { type: "object" }, run() {} }' }, /anon\.mjs: must export `name`/],
    ['bad name', { 'spaces.mjs': 'export default { name: "has space", params: { type: "object" }, run() {} }' }, /spaces\.mjs: must export `name`/],
    ['no run', { 'norun.mjs': 'export default { name: "x", params: { type: "object" } }' }, /norun\.mjs: handler "x": `run` must be a function/],
    ['invalid schema', { 's.mjs': 'export default { name: "x", params: { type: "objekt" }, run() {} }' }, /s\.mjs: handler "x": `params` must describe an object/],
    ['unknown keyword', { 'k.mjs': 'export default { name: "x", params: { type: "object", propertys: {} }, run() {} }' }, /k\.mjs: handler "x": `params` is not a valid JSON Schema: strict mode: unknown keyword: "propertys"/],
    ['no params', { 'p.mjs': 'export default { name: "x", run() {} }' }, /p\.mjs: handler "x": `params` must be a JSON Schema object/],
    ['built-in name', { 'sh.mjs': 'export default { name: "shell", params: { type: "object" }, run() {} }' }, /sh\.mjs: handler name "shell" is already taken by a built-in handler/],
    ['two files, one name', { 'a.mjs': RESIZE, 'b.mjs': RESIZE }, /b\.mjs: handler name "resize" is already taken by .*a\.mjs/],
  ])('refuses to start on a module with %s, naming the file', async (_what, files, message) => {
    const error = await startupError(await dirWith(files));
    expect(error.field).toBe('--handlers-dir');
    expect(error.message).toMatch(message);
  });

  it('refuses a folder it cannot read', async () => {
    const error = await startupError(join(await tempDir(), 'missing'));
    expect(error.message).toMatch(/^--handlers-dir: cannot read .*missing/);
  });
});
