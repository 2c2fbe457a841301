// The HTTP door's pure decisions: who must show a key, which targets, Hosts and Origins are served, which scope opens what.
import { describe, expect, it } from 'vitest';
import { repeatedHeader } from '../../src-main/master/access/headers';
import { hostServed, originServed, parseHost, servedHosts } from '../../src-main/master/access/hosts';
import { bearerKey, isLoopback, keyRequired } from '../../src-main/master/access/rules';
import { parseTarget } from '../../src-main/master/access/target';
import { methods } from '../../src-main/master/api/contract/methods';
import { API_SCOPES, METHOD_SCOPES, scopeAllows } from '../../src-main/master/api/contract/scopes';

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true], ['127.5.6.7', true], ['::1', true], ['::ffff:127.0.0.1', true],
    ['10.0.0.4', false], ['192.168.1.20', false], ['::ffff:10.0.0.4', false], ['fe80::1', false],
    ['0.0.0.0', false], ['127.0.0.1.evil', false], ['', false], [undefined, false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});

describe('keyRequired', () => {
  it.each([
    ['remote', '127.0.0.1', false], ['remote', '::1', false], ['remote', '10.0.0.4', true], ['remote', undefined, true],
    ['all', '127.0.0.1', true], ['all', '::1', true], ['all', '10.0.0.4', true],
  ] as const)('%s from %s → %s', (mode, address, expected) => {
    expect(keyRequired(mode, address)).toBe(expected);
  });
});

describe('bearerKey', () => {
  it.each([
    ['Bearer bt_tok_abc.def', 'bt_tok_abc.def'], ['bearer   bt_tok_abc.def ', 'bt_tok_abc.def'],
    ['Basic dXNlcjpwdw==', null], ['Bearer', null], ['Bearer a b', null], ['', null], [undefined, null],
  ])('%s → %s', (header, expected) => {
    expect(bearerKey(header)).toBe(expected);
  });
});

describe('parseTarget', () => {
  it.each([
    ['/api/groups.list', '/api/groups.list', null, '/api/groups.list', ''],
    ['/api/groups.list?x=%ZZ', '/api/groups.list', null, '/api/groups.list', 'x=%ZZ'],
    ['/api/tasks%2Elist', '/api/tasks.list', null, '/api/tasks%2Elist', ''],
    ['/api/v1/tasks/a%2Fb%25c?limit=5#top', '/api/v1/tasks/a/b%c', null, '/api/v1/tasks/a%2Fb%25c', 'limit=5'],
    ['http://127.0.0.1:7070/api/groups.list', '/api/groups.list', '127.0.0.1:7070', '/api/groups.list', ''],
    ['HTTP://Example.com/', '/', 'example.com', '/', ''],
  ])('%s → path %s, authority %s, raw path %s, query %s', (raw, path, authority, rawPath, query) => {
    expect(parseTarget(raw)).toEqual({ ok: true, path, authority, rawPath, query });
  });

  it.each([
    ['/api/%E0%A4%A', /malformed percent-encoding/], ['/%ZZ', /malformed percent-encoding/], ['/%', /malformed/],
    ['http://[bad/', /neither a path nor an http\(s\) URL/], ['*', /neither/], ['ftp://x/', /neither/], ['', /no target/],
    [undefined, /no target/], ['/a%00b', /NUL/], [`/${'a'.repeat(9_000)}`, /longer than 8192/],
  ])('%s is refused: %s', (raw, message) => {
    const target = parseTarget(raw);
    expect(target.ok).toBe(false);
    expect(!target.ok && target.message).toMatch(message);
  });
});

describe('parseHost', () => {
  it.each([
    ['127.0.0.1:7070', { name: '127.0.0.1', port: 7070 }], ['Baton.Example.com', { name: 'baton.example.com', port: null }],
    ['[::1]:80', { name: '[::1]', port: 80 }], ['localhost.:7070', { name: 'localhost', port: 7070 }],
    ['a:99999', null], ['a b', null], ['', null], ['evil.com@127.0.0.1', null], ['::1', null], ['x:', null], [':80', null],
  ])('%s → %j', (value, expected) => {
    expect(parseHost(value)).toEqual(expected);
  });
});

describe('servedHosts, hostServed, originServed', () => {
  const loopback = servedHosts({ bind: '127.0.0.1', port: 7070, advertiseUrl: 'http://127.0.0.1:7070', allowed: [], interfaces: ['10.0.0.4'] });
  const wildcard = servedHosts({
    bind: '0.0.0.0', port: 7070, advertiseUrl: 'http://m1.example:7070', allowed: ['baton.example.com', 'proxy.local:8443'], interfaces: ['127.0.0.1', '10.0.0.4', 'fe80::1%eth0'],
  });

  it.each([
    [loopback, '127.0.0.1:7070', true], [loopback, 'localhost:7070', true], [loopback, '[::1]:7070', true], [loopback, 'LOCALHOST:7070', true],
    [loopback, 'localhost:7071', false], [loopback, 'localhost', false], [loopback, '10.0.0.4:7070', false],
    [loopback, 'rebind.attacker.example:7070', false], [loopback, '', false], [loopback, undefined, false],
    [wildcard, '10.0.0.4:7070', true], [wildcard, '[fe80::1]:7070', true], [wildcard, 'm1.example:7070', true],
    [wildcard, 'baton.example.com', true], [wildcard, 'baton.example.com:9999', true], [wildcard, 'proxy.local:8443', true],
    [wildcard, 'proxy.local', false], [wildcard, 'm1.example', false], [wildcard, 'other.example:7070', false],
  ])('Host %s → %s', (served, host, expected) => {
    expect(hostServed(host, served, 'http:')).toBe(expected);
  });

  it('takes the advertised URL\'s default port, and another bind address alone', () => {
    const served = servedHosts({ bind: '10.0.0.4', port: 7070, advertiseUrl: 'https://baton.example.com', allowed: [], interfaces: [] });
    expect(hostServed('baton.example.com', served, 'https:')).toBe(true);
    expect(hostServed('10.0.0.4:7070', served, 'http:')).toBe(true);
    expect(hostServed('127.0.0.1:7070', served, 'http:')).toBe(false);
  });

  it.each([
    [undefined, true], ['http://127.0.0.1:7070', true], ['http://localhost:7070', true],
    ['http://attacker.example', false], ['http://attacker.example:7070', false], ['https://127.0.0.1:7070', false],
    ['null', false], ['http://127.0.0.1:7071', false], ['http://user@127.0.0.1:7070', false], ['not a url', false], ['', false],
    ['http://127.0.0.1:7070/path', false],
  ])('Origin %s → %s', (origin, expected) => {
    expect(originServed(origin, loopback, 'http:')).toBe(expected);
  });
});

describe('API key scopes', () => {
  it('every contract method declares the scope it needs, and nothing else is declared', () => {
    expect(Object.keys(METHOD_SCOPES).sort()).toEqual(Object.keys(methods).sort());
    for (const scope of Object.values(METHOD_SCOPES)) expect(API_SCOPES).toContain(scope);
  });

  it('reads need read, running what exists needs operate, changing it needs admin', () => {
    expect(METHOD_SCOPES['runs.list']).toBe('read');
    expect(['tasks.trigger', 'runs.stop', 'tasks.setEnabled', 'workers.setStatus'].map((m) => METHOD_SCOPES[m as keyof typeof METHOD_SCOPES])).toEqual(['operate', 'operate', 'operate', 'operate']);
    expect(['tasks.create', 'tasks.import', 'groups.delete', 'tokens.create', 'tokens.list'].map((m) => METHOD_SCOPES[m as keyof typeof METHOD_SCOPES])).toEqual(['admin', 'admin', 'admin', 'admin', 'admin']);
  });

  it.each([
    ['read', 'read', true], ['read', 'operate', false], ['read', 'admin', false],
    ['operate', 'read', true], ['operate', 'operate', true], ['operate', 'admin', false],
    ['admin', 'read', true], ['admin', 'operate', true], ['admin', 'admin', true],
  ] as const)('a %s key may call a method needing %s: %s', (held, needed, expected) => {
    expect(scopeAllows(held, needed)).toBe(expected);
  });
});

describe('repeatedHeader', () => {
  it('names a Host or Authorization header given twice, in any case, and lets other repeats pass', () => {
    expect(repeatedHeader(['Host', 'a', 'host', 'b'])).toBe('host');
    expect(repeatedHeader(['Authorization', 'x', 'Host', 'a', 'AUTHORIZATION', 'y'])).toBe('authorization');
    expect(repeatedHeader(['Host', 'a', 'Accept', 'x', 'Accept', 'y'])).toBeNull();
    expect(repeatedHeader([])).toBeNull();
  });
});
