// The desktop shell's decisions (issue 8): where the window opens, what the tray says, what quitting asks.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { choiceOf, QUIT_BUTTONS, quitQuestion } from '../../src-main/quit-plan';
import { countsOf, recountsOn, trayTooltip } from '../../src-main/tray-status';
import { DEFAULT_SIZE, placeWindow, readWindowState, writeWindowState } from '../../src-main/window-state';

const screen = { x: 0, y: 0, width: 1920, height: 1080 };

describe('window place', () => {
  it('opens where it was, at the default size the first time', () => {
    expect(placeWindow(null, [screen])).toEqual({ bounds: DEFAULT_SIZE, maximized: false });
    const saved = { x: 200, y: 100, width: 1400, height: 900, maximized: true };
    expect(placeWindow(saved, [screen])).toEqual({ bounds: { x: 200, y: 100, width: 1400, height: 900 }, maximized: true });
  });

  it('keeps the size but lets the OS place it when its screen is gone, and never goes below the minimum', () => {
    const onUnplugged = { x: 2500, y: 100, width: 1000, height: 700, maximized: false };
    expect(placeWindow(onUnplugged, [screen]).bounds).toEqual({ width: 1000, height: 700 });
    expect(placeWindow({ x: 10, y: 10, width: 300, height: 200, maximized: false }, [screen]).bounds).toEqual({ x: 10, y: 10, width: 960, height: 600 });
    const second = { x: 1920, y: 0, width: 1280, height: 1024 };
    expect(placeWindow(onUnplugged, [screen, second]).bounds).toMatchObject({ x: 2500 });
  });

  it('reads back what it wrote, and nothing from a broken file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'baton-window-'));
    try {
      const file = path.join(dir, 'window-state.json');
      expect(await readWindowState(file)).toBeNull();
      await writeWindowState(file, { x: 1, y: 2, width: 1000, height: 700, maximized: false });
      expect(await readWindowState(file)).toEqual({ x: 1, y: 2, width: 1000, height: 700, maximized: false });
      await writeFile(file, '{"x":"left"}');
      expect(await readWindowState(file)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('tray', () => {
  const zeros = () => [0, 0, 0];
  const day = (counts: Partial<Record<'succeeded' | 'failed' | 'timed_out' | 'lost' | 'cancelled' | 'skipped', number[]>>) => ({
    ended: 0, successRate: null, p95DurationMs: null,
    series: { bucketMs: 60_000, at: [0, 1, 2], counts: { succeeded: zeros(), failed: zeros(), timed_out: zeros(), lost: zeros(), cancelled: zeros(), skipped: zeros(), ...counts } },
  });

  it('counts runs going and runs that ended failed, timed out or lost in the last day', () => {
    const counts = countsOf({ runningTotal: 3, day: day({ failed: [1, 0, 2], timed_out: [0, 1, 0], lost: [0, 0, 1], succeeded: [9, 9, 9], cancelled: [4, 0, 0] }) });
    expect(counts).toEqual({ running: 3, failed: 5 });
    expect(trayTooltip(counts)).toBe('Baton: 3 running, 5 failed in 24 h');
  });

  it('says the counts are unknown when the master cannot answer (a database outage)', () => {
    expect(trayTooltip(countsOf(null))).toBe('Baton: database unreachable');
  });

  it('counts again when runs change or consoles must read again, not on other events', () => {
    expect(recountsOn({ kind: 'run.changed' })).toBe(true);
    expect(recountsOn({ kind: 'sync' })).toBe(true);
    expect(recountsOn({ kind: 'worker.changed' })).toBe(false);
    expect(recountsOn({ kind: 'run.log' })).toBe(false);
  });
});

describe('quit question', () => {
  it('offers wait, stop, leave and cancel, and anything else cancels', () => {
    expect(QUIT_BUTTONS.map((b) => b.choice)).toEqual(['wait', 'stop', 'leave', 'cancel']);
    expect(choiceOf(1)).toBe('stop');
    expect(choiceOf(-1)).toBe('cancel');
    expect(choiceOf(9)).toBe('cancel');
    expect(quitQuestion(1).message).toBe('1 run is in flight. Quit Baton?');
    expect(quitQuestion(3).message).toBe('3 runs are in flight. Quit Baton?');
  });
});
