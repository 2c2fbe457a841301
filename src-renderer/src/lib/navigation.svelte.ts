// Which screen the console shows. The console is one window with a sidebar, so no URL routing is needed; the last
// screen is remembered in this console (issue 8) and shown again on the next start.
export type Page = 'dashboard' | 'groups' | 'workers' | 'tasks' | 'runs' | 'tokens' | 'settings';

export const PAGES: readonly { page: Page; label: string }[] = [
  { page: 'dashboard', label: 'Dashboard' },
  { page: 'groups', label: 'Groups' },
  { page: 'workers', label: 'Workers' },
  { page: 'tasks', label: 'Tasks' },
  { page: 'runs', label: 'Runs' },
  { page: 'tokens', label: 'Tokens' },
  { page: 'settings', label: 'Settings' },
];

const STORAGE = 'baton.page';

/** The remembered screen, or the dashboard when nothing (or something unknown) was stored. */
export function pageOf(stored: string | null | undefined): Page {
  return PAGES.find((p) => p.page === stored)?.page ?? 'dashboard';
}

class Navigation {
  page = $state<Page>(pageOf(globalThis.localStorage?.getItem(STORAGE)));
  /** Set when the runs screen shows one run's detail. */
  runId = $state<string | null>(null);

  go(page: Page): void {
    this.page = page;
    this.runId = null;
    globalThis.localStorage?.setItem(STORAGE, page);
  }

  openRun(id: string): void {
    this.page = 'runs';
    this.runId = id;
  }
}

export const navigation = new Navigation();
