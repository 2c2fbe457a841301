import { execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveAgentConfig, type RawOptions } from '../../../worker-agent/src/config';
import { tempDir } from './helpers';

const TOKEN = 'agent-token-0123456789';
const good: RawOptions = { master: 'http://127.0.0.1:8080/', token: TOKEN, group: 'local', name: 'n1' };

function errorOf(flags: RawOptions, env: NodeJS.ProcessEnv = {}): string {
  try {
    resolveAgentConfig(flags, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('agent config', () => {
  it('resolves every field, with defaults', () => {
    expect(resolveAgentConfig(good, { HOME: '/home/x' })).toEqual({
      masterUrls: ['http://127.0.0.1:8080'],
      token: TOKEN,
      group: 'local',
      name: 'n1',
      capacity: 4,
      labels: {},
      handlers: null,
      handlersDir: null,
      dataDir: expect.stringMatching(/\.baton-agent\/n1$/),
      heartbeatMs: 5000,
      logLevel: 'info',
      stopGraceMs: 10_000,
      outbound: { hosts: [], ranges: [], setting: '--allow-outbound' },
      ca: null,
    });
  });

  it('reads the --ca file (or BATON_AGENT_CA) and refuses one that is missing or not a certificate, naming where it came from', async () => {
    const dir = await tempDir();
    const ca = join(dir, 'ca.pem');
    const key = join(dir, 'ca.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', ca, '-days', '1', '-subj', '/CN=unit CA'], { stdio: 'pipe' });
    expect(resolveAgentConfig({ ...good, ca }).ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(resolveAgentConfig(good, { BATON_AGENT_CA: ca }).ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(errorOf({ ...good, ca: join(dir, 'missing.pem') })).toMatch(/^--ca: cannot read .*missing\.pem/);
    expect(errorOf(good, { BATON_AGENT_CA: key })).toMatch(/^BATON_AGENT_CA: .*ca\.key is not a PEM certificate/);
  });

  it('takes several masters, comma-separated', () => {
    expect(resolveAgentConfig({ ...good, master: 'http://a:1/, https://b.example:2 ,' }).masterUrls).toEqual(['http://a:1', 'https://b.example:2']);
  });

  it('takes flags over environment, and the environment when a flag is missing', () => {
    const env = { BATON_MASTER_URL: 'http://env:1', BATON_AGENT_TOKEN: TOKEN, BATON_AGENT_GROUP: 'g', BATON_AGENT_NAME: 'from-env', BATON_AGENT_DATA_DIR: '/var/tmp/d' };
    expect(resolveAgentConfig({ name: 'flag', labels: 'zone=a, gpu=yes', handlers: 'shell,http,shell', capacity: '16' }, env)).toMatchObject({
      masterUrls: ['http://env:1'],
      group: 'g',
      name: 'flag',
      dataDir: '/var/tmp/d',
      labels: { zone: 'a', gpu: 'yes' },
      handlers: ['shell', 'http'],
      capacity: 16,
    });
  });

  it.each([
    [{ capacity: '0' }, '--capacity: must be a whole number from 1 to 10000'],
    [{ capacity: 'four' }, '--capacity: must be a whole number from 1 to 10000'],
    [{ capacity: '2.5' }, '--capacity: must be a whole number from 1 to 10000'],
    [{ master: 'ftp://x' }, '--master: "ftp://x" is not an http(s) URL like http://master:8080 (several: comma-separated)'],
    [{ master: 'http://a:1, nope' }, '--master: "nope" is not an http(s) URL'],
    [{ master: ' , ' }, '--master: must be an http(s) URL'],
    [{ master: undefined }, '--master: is required'],
    [{ name: 'has space' }, '--name: must be 1-128 letters'],
    [{ group: '' }, '--group: is required'],
    [{ labels: 'zone' }, '--labels: "zone" is not key=value'],
    [{ handlers: ',' }, '--handlers: needs at least one handler'],
    [{ heartbeatMs: '10' }, '--heartbeat-ms: must be a whole number from 100 to 3600000'],
    [{ stopGraceMs: '-1' }, '--stop-grace-ms: must be a whole number from 0 to 3600000'],
    [{ logLevel: 'loud' }, '--log-level: must be one of fatal, error'],
    [{ token: 'short' }, '--token: must be 16 to 256 characters'],
    [{ token: undefined }, '--token: is required (or give --token-file)'],
    [{ tokenFile: '/nonexistent/token' }, '--token: give either --token or --token-file, not both'],
    [{ token: undefined, tokenFile: '/nonexistent/token' }, '--token-file: cannot read /nonexistent/token'],
  ] satisfies [RawOptions, string][])('%o is refused naming the flag', (bad, message) => {
    expect(errorOf({ ...good, ...bad })).toContain(message);
  });

  it('names the environment variable when the bad value came from there', () => {
    expect(errorOf({ ...good, master: undefined }, { BATON_MASTER_URL: 'nope' })).toMatch(/^BATON_MASTER_URL: /);
    expect(errorOf({ ...good, token: undefined }, { BATON_AGENT_TOKEN: 'short' })).toMatch(/^BATON_AGENT_TOKEN: /);
  });

  it('reads the token from --token-file, trimmed', async () => {
    const file = join(await tempDir(), 'token');
    await writeFile(file, `${TOKEN}\n`);
    expect(resolveAgentConfig({ ...good, token: undefined, tokenFile: file }, {}).token).toBe(TOKEN);
    await writeFile(file, 'short\n');
    expect(errorOf({ ...good, token: undefined, tokenFile: file })).toMatch(/^--token-file: the token in .* must be 16 to 256/);
  });

  it('needs no enrolment token once a credential is kept in the data folder', async () => {
    const dataDir = await tempDir();
    expect(errorOf({ ...good, token: undefined, dataDir })).toContain('--token: is required (or give --token-file)');
    await writeFile(join(dataDir, 'credential'), '{}');
    expect(resolveAgentConfig({ ...good, token: undefined, dataDir }, {}).token).toBeNull();
    expect(resolveAgentConfig({ ...good, dataDir }, {}).token).toBe(TOKEN);
  });

  it('the CLI exits with code 2 and the message for a bad flag', () => {
    const cli = new URL('../../../worker-agent/src/cli.ts', import.meta.url).pathname;
    const run = spawnSync(process.execPath, ['--import', 'tsx', cli, '--master', 'http://m:1', '--token', TOKEN, '--group', 'g', '--name', 'n', '--capacity', '0'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--capacity: must be a whole number from 1 to 10000');
  });
});
