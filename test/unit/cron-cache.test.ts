// The parsed-cron cache: one shared pattern per expression and zone, bounded, least recently used forgotten
// first (issue 11: each pattern holds ~80 KB, so an unbounded cache grew with the number of distinct crons).
import { describe, expect, it } from 'vitest';
import { CRON_CACHE_MAX, CronCache } from '../../src-main/master/scheduler/cron-cache';

const daily = (i: number) => `0 ${i % 60} ${Math.floor(i / 60) % 24} * * *`;

describe('cron cache', () => {
  it('shares one pattern per expression and zone', () => {
    const cache = new CronCache();
    const a = cache.get('*/5 * * * * *', 'UTC');
    expect(cache.get('*/5 * * * * *', 'UTC')).toBe(a);
    expect(cache.get('*/5 * * * * *', 'Europe/Paris')).not.toBe(a);
    expect(a.nextRun(new Date('2026-01-01T00:00:01Z'))?.toISOString()).toBe('2026-01-01T00:00:05.000Z');
  });

  it('holds no more than its bound however many distinct crons are used (10,000 tasks, each its own)', () => {
    const cache = new CronCache();
    for (let i = 0; i < 600; i++) cache.get(daily(i), 'UTC');
    expect(cache.size).toBe(CRON_CACHE_MAX);
    expect(CRON_CACHE_MAX).toBeLessThanOrEqual(256);
  });

  it('forgets the least recently used first: a cron in use stays', () => {
    const cache = new CronCache(3);
    const first = cache.get(daily(0), 'UTC');
    const second = cache.get(daily(1), 'UTC');
    cache.get(daily(2), 'UTC');
    expect(cache.get(daily(0), 'UTC')).toBe(first); // used again: now the most recent
    cache.get(daily(3), 'UTC'); // full: daily(1) goes
    expect(cache.size).toBe(3);
    expect(cache.get(daily(0), 'UTC')).toBe(first);
    expect(cache.get(daily(1), 'UTC')).not.toBe(second);
  });

  it('a bad expression throws as croner does and is not kept', () => {
    const cache = new CronCache(2);
    cache.get(daily(0), 'UTC');
    expect(() => cache.get('61 * * * * *', 'UTC')).toThrow(/second/i);
    expect(cache.size).toBe(1);
  });

  it('refuses a size that is not a positive integer, naming it', () => {
    expect(() => new CronCache(0)).toThrow('cron cache size must be a positive integer, not 0');
    expect(() => new CronCache(1.5)).toThrow(/not 1.5/);
  });
});
