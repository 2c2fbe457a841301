import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HANDLERS, prepare } from '../../../worker-agent/src/executors/index';
import { assignment, Recorder, start, tempDir, TRACE_ID } from './helpers';

async function moduleFile(source: string): Promise<string> {
  const file = join(await tempDir(), 'handler.mjs');
  await writeFile(file, source);
  return file;
}

describe('js executor', () => {
  it('calls the export with the run context; the JSON of its return value is the output', async () => {
    const module = await moduleFile(`
      export async function handle(ctx) {
        ctx.log('working on shard ' + ctx.shard.index + '\\nsecond line');
        return { runId: ctx.runId, attempt: ctx.attempt, traceId: ctx.traceId, parent: ctx.parent,
                 export: ctx.params.export, aborted: ctx.signal.aborted };
      }`);
    const io = new Recorder();
    const assign = assignment('js', { module, export: 'handle' }, { shard: { index: 2, total: 4 }, parent: { runId: 'p', output: 'o' } });
    const outcome = await start(assign, io).done;
    expect(outcome.state).toBe('succeeded');
    expect(JSON.parse(outcome.output)).toEqual({
      runId: assign.runId,
      attempt: 1,
      traceId: TRACE_ID,
      parent: { runId: 'p', output: 'o' },
      export: 'handle',
      aborted: false,
    });
    expect(io.text()).toEqual(['working on shard 2', 'second line']);
  });

  it('loads a file: URL and fails with the message of what the function throws', async () => {
    const module = pathToFileURL(await moduleFile(`export default () => { throw new Error('no input file'); }`)).href;
    expect(await start(assignment('js', { module })).done).toMatchObject({ state: 'failed', error: 'no input file' });
  });

  it('fails when the export is not a function', async () => {
    const module = await moduleFile(`export const value = 1;`);
    const outcome = await start(assignment('js', { module, export: 'value' })).done;
    expect(outcome).toMatchObject({ state: 'failed', error: expect.stringContaining('no function export "value"') });
  });

  it('times out a function that never settles and ignores its signal', async () => {
    const module = await moduleFile(`export default () => new Promise(() => {});`);
    expect((await start(assignment('js', { module }, { timeoutMs: 200 })).done).state).toBe('timed_out');
  });

  it('stop aborts the signal and reports cancelled', async () => {
    const module = await moduleFile(`
      export default (ctx) => new Promise((resolve) => {
        ctx.log('waiting');
        ctx.signal.addEventListener('abort', () => resolve('noticed'));
      });`);
    const io = new Recorder();
    const run = start(assignment('js', { module }), io);
    await io.until((lines) => lines.includes('waiting'));
    run.stop('cancelled');
    expect(await run.done).toMatchObject({ state: 'cancelled' });
  });

  it('rejects a relative module path naming the param', () => {
    expect(prepare(assignment('js', { module: './handler.mjs' }), HANDLERS)).toMatchObject({
      reason: 'bad_params',
      message: 'params.module: must be an absolute path or a file: URL',
    });
  });
});
