// Start-up failures in one line: expected causes without a stack, bugs with one, and no password shown.
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { describeStartupFailure } from '../../src-main/master/startup-failure';

describe('describeStartupFailure', () => {
  it('passes a BatonError through as expected', () => {
    expect(describeStartupFailure(new BatonError('conflict', 'in use by another master (PID 9)'))).toEqual({ message: 'in use by another master (PID 9)', expected: true });
  });

  it('names the port in use and the flag to change', () => {
    const error = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', address: '127.0.0.1', port: 7070 });
    const failure = describeStartupFailure(error);
    expect(failure.expected).toBe(true);
    expect(failure.message).toMatch(/port 7070 on 127.0.0.1 is in use.*--port/);
  });

  it('says the database cannot be reached, or refused, without its password', () => {
    expect(describeStartupFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })))
      .toMatchObject({ expected: true, message: expect.stringMatching(/database is unreachable \(ECONNREFUSED\).*--database-url/) });
    const refused = describeStartupFailure(Object.assign(new Error('password authentication failed for user "baton"'), { code: '28P01' }));
    expect(refused).toMatchObject({ expected: true, message: expect.stringContaining('refused the password') });
    const host = describeStartupFailure(Object.assign(new Error('getaddrinfo ENOTFOUND db.nowhere'), { code: 'ENOTFOUND', hostname: 'db.nowhere' }));
    expect(host.message).toContain('db.nowhere was not found');
  });

  it('keeps the stack of a bug, and names a rejection with nothing in it', () => {
    const bug = describeStartupFailure(new TypeError('x is not a function'));
    expect(bug.expected).toBe(false);
    expect(bug.message).toMatch(/TypeError: x is not a function\n\s+at /);
    expect(describeStartupFailure(undefined)).toEqual({ message: 'an unexplained failure (undefined)', expected: false });
  });
});
