// Light or dark: follows the OS (prefers-color-scheme) unless the operator chose one, remembered in this console.
import { parseChoice, shadeOf, THEME_CHOICES, type ThemeChoice } from './theme-choice';

const STORAGE = 'baton.theme';

class Theme {
  choice = $state<ThemeChoice>(parseChoice(globalThis.localStorage?.getItem(STORAGE)));
  osPrefersDark = $state(globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? true);
  shade = $derived(shadeOf(this.choice, this.osPrefersDark));

  choose(choice: ThemeChoice): void {
    this.choice = choice;
    localStorage.setItem(STORAGE, choice);
  }

  /** Next in system → light → dark, for the one toggle button. */
  cycle(): void {
    this.choose(THEME_CHOICES[(THEME_CHOICES.indexOf(this.choice) + 1) % THEME_CHOICES.length]!);
  }

  /** Keeps the root element's data-theme in step with the OS and the choice; returns how to stop. */
  follow(): () => void {
    const query = matchMedia('(prefers-color-scheme: dark)');
    const changed = (): void => { this.osPrefersDark = query.matches; };
    query.addEventListener('change', changed);
    const stop = $effect.root(() => {
      $effect(() => { document.documentElement.dataset.theme = this.shade; });
    });
    return () => {
      query.removeEventListener('change', changed);
      stop();
    };
  }
}

export const theme = new Theme();
