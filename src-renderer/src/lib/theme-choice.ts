// The theme rules, pure: which shade a choice shows given the OS, and a stored choice read back safely.
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Shade = 'light' | 'dark';

export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];

/** The theme shown for a choice, given what the OS prefers. */
export function shadeOf(choice: ThemeChoice, osPrefersDark: boolean): Shade {
  if (choice === 'system') return osPrefersDark ? 'dark' : 'light';
  return choice;
}

export function parseChoice(stored: string | null | undefined): ThemeChoice {
  return THEME_CHOICES.includes(stored as ThemeChoice) ? (stored as ThemeChoice) : 'system';
}
