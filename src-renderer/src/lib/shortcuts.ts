// Keys that work on every screen: `/` focuses the page's search box (any input marked `data-search`), Escape
// closes the open dialog (Dialog.svelte, natively) or leaves a search box.
import { shortcutOf } from './shortcut-rules';

function inField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Listens on the document; returns how to stop. */
export function installShortcuts(doc: Document): () => void {
  const onKey = (event: KeyboardEvent): void => {
    const shortcut = shortcutOf({ key: event.key, inField: inField(event.target), ctrl: event.ctrlKey, meta: event.metaKey, alt: event.altKey });
    if (shortcut === 'focus-search') {
      const search = [...doc.querySelectorAll<HTMLElement>('[data-search]')].find((el) => el.offsetParent !== null);
      if (!search) return;
      event.preventDefault();
      search.focus();
    } else if (shortcut === 'leave-field' && !(event.target as HTMLElement).closest('dialog')) {
      (event.target as HTMLElement).blur();
    }
  };
  doc.addEventListener('keydown', onKey);
  return () => doc.removeEventListener('keydown', onKey);
}
