// What a key press means on any screen, pure (no DOM), so the rules are unit-tested.
export type Shortcut = 'focus-search' | 'leave-field' | null;

export interface KeyFacts {
  key: string;
  /** The key went to a text field, select or editable element. */
  inField: boolean;
  ctrl: boolean;
  meta: boolean;
  alt: boolean;
}

/** What a key press means here; pure, so the rules are unit-tested. */
export function shortcutOf(k: KeyFacts): Shortcut {
  if (k.ctrl || k.meta || k.alt) return null;
  if (k.key === '/' && !k.inField) return 'focus-search';
  if (k.key === 'Escape' && k.inField) return 'leave-field';
  return null;
}
