// Which PostgreSQL errors are an outage the operator should see as `unavailable`, and which stay bugs.
import { describe, expect, it } from 'vitest';
import { unreachableError } from '../../src-main/master/db/store';

describe('unreachableError', () => {
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ code: '57P03', message: 'the database system is starting up' }],
    [{ code: '08006', message: 'connection failure' }],
    [{ message: 'Connection terminated unexpectedly' }],
    [{ message: 'Client has encountered a connection error and is not queryable' }],
  ])('%o is an outage', (error) => {
    const mapped = unreachableError(error);
    expect(mapped?.code).toBe('unavailable');
    expect(mapped?.message).toMatch(/database is unreachable/);
  });

  it.each([
    [{ code: '23505', message: 'duplicate key value violates unique constraint' }],
    [{ code: '42P01', message: 'relation "nope" does not exist' }],
    [new TypeError('x is undefined')],
    [null],
  ])('%o is not', (error) => {
    expect(unreachableError(error)).toBeNull();
  });
});
