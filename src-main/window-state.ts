// Where the desktop window opens: its last size and position, kept in the app's data folder (issue 8), unless
// that place is no longer on any screen (a monitor was unplugged). Plain Node: the shell passes the displays.
import fs from 'node:fs/promises';
import { z } from 'zod';

export const DEFAULT_SIZE = { width: 1320, height: 860 } as const;
export const MIN_SIZE = { width: 960, height: 600 } as const;
/** How much of the window's title bar must lie on a screen for the saved place to be used. */
const VISIBLE_PX = 80;

const Rect = z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int().positive(), height: z.number().int().positive() });
export const WindowState = Rect.extend({ maximized: z.boolean().default(false) });
export type WindowState = z.infer<typeof WindowState>;
export type Rect = z.infer<typeof Rect>;

/** The bounds to open with: the saved ones when their top edge is on a screen, else the default size, centred by the OS. */
export function placeWindow(saved: WindowState | null, screens: readonly Rect[]): { bounds: Partial<Rect> & { width: number; height: number }; maximized: boolean } {
  if (!saved) return { bounds: { ...DEFAULT_SIZE }, maximized: false };
  const width = Math.max(saved.width, MIN_SIZE.width);
  const height = Math.max(saved.height, MIN_SIZE.height);
  const onScreen = screens.some((s) => {
    const overlap = Math.min(saved.x + width, s.x + s.width) - Math.max(saved.x, s.x);
    return overlap >= VISIBLE_PX && saved.y >= s.y && saved.y < s.y + s.height - VISIBLE_PX / 2;
  });
  if (!onScreen) return { bounds: { width, height }, maximized: saved.maximized };
  return { bounds: { x: saved.x, y: saved.y, width, height }, maximized: saved.maximized };
}

/** The saved state, or null when there is none or it is unreadable (the window then opens at its default). */
export async function readWindowState(file: string): Promise<WindowState | null> {
  try {
    const parsed = WindowState.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeWindowState(file: string, state: WindowState): Promise<void> {
  await fs.writeFile(file, `${JSON.stringify(state)}\n`);
}
