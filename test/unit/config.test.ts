// Master configuration: defaults, and a clear error naming the variable for every bad value.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { advertisedUrl, resolveConfig, withoutPassword } from '../../src-main/master/config';

describe('resolveConfig', () => {
  it('fills every field from defaults', () => {
    const c = resolveConfig({}, { dataDir: '/tmp/x' });
    expect(c).toMatchObject({ databaseUrl: null, dataDir: '/tmp/x', port: 7070, bind: '127.0.0.1', heartbeatMs: 1000, missedBeats: 3, apiAuth: 'all', allowedHosts: [], advertiseUrl: null, leaderLeaseMs: 5000 });
  });

  it('reads every variable', () => {
    const c = resolveConfig({
      BATON_DATABASE_URL: 'postgres://u:p@db:5432/baton', BATON_PORT: '8080', BATON_BIND: '0.0.0.0',
      BATON_DATA_DIR: '/srv/baton', BATON_HEARTBEAT_MS: '500', BATON_MISSED_HEARTBEATS: '5', BATON_API_AUTH: 'remote',
      BATON_ALLOWED_HOSTS: 'baton.example.com, 10.0.0.5:7070,',
      BATON_ADVERTISE_URL: 'http://m1.example:8080/', BATON_LEADER_LEASE_MS: '3000',
    });
    expect(c).toMatchObject({ databaseUrl: 'postgres://u:p@db:5432/baton', port: 8080, bind: '0.0.0.0', dataDir: '/srv/baton', heartbeatMs: 500, missedBeats: 5, apiAuth: 'remote',
      allowedHosts: ['baton.example.com', '10.0.0.5:7070'],
      advertiseUrl: 'http://m1.example:8080', leaderLeaseMs: 3000 });
  });

  it.each([
    ['BATON_PORT', 'abc', /BATON_PORT="abc": must be a port number/],
    ['BATON_PORT', '70000', /BATON_PORT="70000": must be from 0 to 65535/],
    ['BATON_BIND', 'everywhere', /BATON_BIND="everywhere": must be an IP address/],
    ['BATON_DATABASE_URL', 'mysql://x', /BATON_DATABASE_URL="mysql:\/\/x": must be a postgres/],
    ['BATON_HEARTBEAT_MS', '10', /BATON_HEARTBEAT_MS="10": must be at least 100/],
    ['BATON_MISSED_HEARTBEATS', '0', /BATON_MISSED_HEARTBEATS="0": must be at least 1/],
    ['BATON_LOG_LEVEL', 'loud', /BATON_LOG_LEVEL="loud"/],
    ['BATON_ADVERTISE_URL', 'master-1:7070', /BATON_ADVERTISE_URL="master-1:7070": must be an http\(s\) URL/],
    ['BATON_LEADER_LEASE_MS', '200', /BATON_LEADER_LEASE_MS="200": must be at least 1000/],
    ['BATON_API_AUTH', 'none', /BATON_API_AUTH="none": must be "all" .* or "remote"/],
    ['BATON_ALLOWED_HOSTS', 'evil.com/x', /BATON_ALLOWED_HOSTS="evil.com\/x": must be host names or addresses/],
    ['BATON_ALLOWED_HOSTS', 'a.example,b.example:99999', /BATON_ALLOWED_HOSTS=.*must be host names/],
    ['BATON_SMTP_URL', 'mail.example.com:25', /BATON_SMTP_URL="mail.example.com:25": must be an smtp:\/\/ or smtps:\/\/ URL/],
    ['BATON_SMTP_URL', 'https://mail.example.com', /BATON_SMTP_URL="https:\/\/mail.example.com": must be an smtp:\/\/ or smtps:\/\/ URL/],
    ['BATON_SMTP_URL', 'smtp://', /BATON_SMTP_URL="smtp:\/\/": must be an smtp/],
    ['BATON_ALERT_FROM', 'baton', /BATON_ALERT_FROM="baton": must be an email address/],
  ])('%s=%s is refused with a message naming it', (name, value, message) => {
    let error: unknown;
    try { resolveConfig({ [name]: value }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).field).toBe(name);
    expect((error as BatonError).message).toMatch(message);
  });
});

describe('alert settings', () => {
  it('has no SMTP server and a sender at this host by default', () => {
    expect(resolveConfig({})).toMatchObject({ smtpUrl: null, alertFrom: `baton@${os.hostname()}` });
  });

  it.each(['smtp://127.0.0.1:2525', 'smtps://alerts%40example.com:p%40ss@mail.example.com:465'])('takes %s', (url) => {
    expect(resolveConfig({ BATON_SMTP_URL: url, BATON_ALERT_FROM: 'baton@example.com' })).toMatchObject({ smtpUrl: url, alertFrom: 'baton@example.com' });
  });
});

describe('withoutPassword', () => {
  it.each([
    ['smtp://alerts:s3cr3t@mail.example:587', 'smtp://alerts:***@mail.example:587'],
    ['postgres://baton:p@ss:w0rd@db:5432/baton', 'postgres://baton:***@db:5432/baton'],
    ['mysql://u:p@x', 'mysql://u:***@x'],
    ['smtp://mail.example:587', 'smtp://mail.example:587'],
    ['abc', 'abc'],
  ])('%s → %s', (value, shown) => {
    expect(withoutPassword(value)).toBe(shown);
  });

  it('keeps the password out of the error for a refused URL', () => {
    expect(() => resolveConfig({ BATON_DATABASE_URL: 'mysql://baton:hunter2@db/x' })).toThrow('BATON_DATABASE_URL="mysql://baton:***@db/x"');
  });
});

describe('advertisedUrl', () => {
  it.each([
    [{ advertiseUrl: 'https://m1.example:7443', bind: '0.0.0.0' }, 7070, 'https://m1.example:7443'],
    [{ advertiseUrl: null, bind: '127.0.0.1' }, 7070, 'http://127.0.0.1:7070'],
    [{ advertiseUrl: null, bind: '::1' }, 8080, 'http://[::1]:8080'],
  ])('%o on port %i → %s', (config, port, url) => {
    expect(advertisedUrl(config, port)).toBe(url);
  });

  it('stands the host name in for a wildcard bind', () => {
    expect(advertisedUrl({ advertiseUrl: null, bind: '0.0.0.0' }, 7070)).toMatch(/^http:\/\/[^0][^:]*:7070$/);
  });
});

describe('TLS settings', () => {
  let dir = '';
  const f = (name: string) => path.join(dir, name);
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'baton-tls-config-'));
    for (const name of ['a', 'b']) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`), '-days', '1', '-subj', `/CN=${name}`], { stdio: 'pipe' });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function refusal(env: Record<string, string>): BatonError {
    try {
      resolveConfig(env, { dataDir: '/tmp/x' });
    } catch (error) {
      if (error instanceof BatonError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  }

  it('reads a certificate with its key, and the CA; none means plain HTTP', () => {
    const c = resolveConfig({ BATON_TLS_CERT: f('a.pem'), BATON_TLS_KEY: f('a.key'), BATON_TLS_CA: f('b.pem') }, { dataDir: '/tmp/x' });
    expect(c.tls).toMatchObject({ certFile: f('a.pem'), cert: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/), key: expect.stringMatching(/PRIVATE KEY/) });
    expect(c.tlsCa).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(advertisedUrl({ advertiseUrl: null, bind: '127.0.0.1', tls: c.tls }, 7443)).toBe('https://127.0.0.1:7443');
    expect(resolveConfig({}, { dataDir: '/tmp/x' })).toMatchObject({ tls: null, tlsCa: null });
  });

  it('wants both or neither, naming the one missing', () => {
    expect(refusal({ BATON_TLS_CERT: f('a.pem') })).toMatchObject({ field: 'BATON_TLS_KEY', message: expect.stringContaining('is required with BATON_TLS_CERT') });
    expect(refusal({ BATON_TLS_KEY: f('a.key') })).toMatchObject({ field: 'BATON_TLS_CERT', message: expect.stringContaining('is required with BATON_TLS_KEY') });
  });

  it('refuses a missing file, a file that is not PEM, and a key of another certificate', () => {
    expect(refusal({ BATON_TLS_CERT: f('none.pem'), BATON_TLS_KEY: f('a.key') })).toMatchObject({ field: 'BATON_TLS_CERT', message: expect.stringMatching(/none\.pem.*cannot read it \(ENOENT\)/) });
    expect(refusal({ BATON_TLS_CERT: f('a.key'), BATON_TLS_KEY: f('a.key') })).toMatchObject({ field: 'BATON_TLS_CERT', message: expect.stringContaining('not a PEM certificate') });
    expect(refusal({ BATON_TLS_CERT: f('a.pem'), BATON_TLS_KEY: f('a.pem') })).toMatchObject({ field: 'BATON_TLS_KEY', message: expect.stringContaining('not a PEM private key') });
    expect(refusal({ BATON_TLS_CERT: f('a.pem'), BATON_TLS_KEY: f('b.key') })).toMatchObject({ field: 'BATON_TLS_KEY', message: expect.stringContaining('does not belong to the certificate') });
    expect(refusal({ BATON_TLS_CA: f('a.key') })).toMatchObject({ field: 'BATON_TLS_CA', message: expect.stringContaining('not a PEM certificate') });
  });
});
