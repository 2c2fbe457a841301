// Who must show an API key, over the whole table of modes and client addresses.
import { describe, expect, it } from 'vitest';
import { bearerKey, isLoopback, keyRequired } from '../../src-main/master/access/rules';

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
