// The console frame's rules (issue 8): times with date and zone, which outage to name, keyboard shortcuts, themes.
import { describe, expect, it } from 'vitest';
import { outageOf, outageText } from '../../src-renderer/src/lib/outage';
import { shortcutOf } from '../../src-renderer/src/lib/shortcut-rules';
import { parseChoice, shadeOf } from '../../src-renderer/src/lib/theme-choice';
import { ago, stamp, timeTitle, utcText } from '../../src-renderer/src/lib/time';

describe('times', () => {
  const iso = '2026-03-08T06:59:30Z';

  it('show the date, the time and the zone, in the viewer\'s zone or a task\'s', () => {
    expect(stamp(iso, { timeZone: 'UTC', locale: 'en-US' })).toBe('Mar 8, 2026, 06:59:30 UTC');
    // New York switches to summer time at 07:00 UTC that day: the abbreviation follows.
    expect(stamp(iso, { timeZone: 'America/New_York', locale: 'en-US' })).toBe('Mar 8, 2026, 01:59:30 EST');
    expect(stamp('2026-03-08T07:00:30Z', { timeZone: 'America/New_York', locale: 'en-US' })).toBe('Mar 8, 2026, 03:00:30 EDT');
    expect(stamp(iso, { timeZone: 'UTC', locale: 'en-US', now: new Date('2026-11-26T00:00:00Z') })).toBe('Mar 8, 06:59:30 UTC');
  });

  it('read a missing or broken time as a dash', () => {
    expect(stamp(null)).toBe('—');
    expect(stamp('not a time')).toBe('—');
    expect(utcText('nope')).toBe('—');
  });

  it('hover with UTC and how long ago, or how soon', () => {
    const now = Date.parse(iso) + 3 * 60_000;
    expect(timeTitle(iso, now)).toBe('2026-03-08 06:59:30 UTC · 3 min ago');
    expect(ago('2026-03-08T08:00:00Z', Date.parse(iso))).toBe('in 1 h');
    expect(ago(null, now)).toBe('never');
  });
});

describe('outages', () => {
  it('name the database when the master answers that it cannot reach it', () => {
    expect(outageOf({ code: 'unavailable', message: 'The database is unreachable (ECONNREFUSED); the master keeps retrying.' })).toBe('database');
    expect(outageOf({ code: 'unavailable', message: 'The master could not be reached for runs.list: fetch failed' })).toBe('master');
    expect(outageOf({ code: 'invalid_input', message: 'name: too long' })).toBeNull();
    expect(outageOf(null)).toBeNull();
    expect(outageText('database')).toBe('database unreachable');
  });

  it('name a change of leader apart: the master answers and another takes over within seconds', () => {
    expect(outageOf({ code: 'unavailable', message: 'Leadership is changing hands, so triggers.preview cannot run right now; try again in a few seconds.' })).toBe('leadership');
    expect(outageOf({ code: 'unavailable', message: 'No master leads right now, so tasks.create cannot run; a master takes over within seconds — try again shortly.' })).toBe('leadership');
    expect(outageText('leadership')).toBe('electing a leader');
  });
});

describe('shortcuts', () => {
  const key = (k: string, inField = false) => ({ key: k, inField, ctrl: false, meta: false, alt: false });

  it('/ focuses the search box unless the operator is typing; Escape leaves a field', () => {
    expect(shortcutOf(key('/'))).toBe('focus-search');
    expect(shortcutOf(key('/', true))).toBeNull();
    expect(shortcutOf({ ...key('/'), ctrl: true })).toBeNull();
    expect(shortcutOf(key('Escape', true))).toBe('leave-field');
    expect(shortcutOf(key('Escape'))).toBeNull();
    expect(shortcutOf(key('a'))).toBeNull();
  });
});

describe('themes', () => {
  it('follow the OS unless one was chosen; a stored value that is not a choice means "system"', () => {
    expect(shadeOf('system', true)).toBe('dark');
    expect(shadeOf('system', false)).toBe('light');
    expect(shadeOf('light', true)).toBe('light');
    expect(shadeOf('dark', false)).toBe('dark');
    expect(parseChoice('dark')).toBe('dark');
    expect(parseChoice('purple')).toBe('system');
    expect(parseChoice(null)).toBe('system');
  });
});
