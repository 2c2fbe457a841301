// Which screen the console shows. The console is one window with a sidebar, so no URL routing is needed.
export type Page = 'dashboard' | 'groups' | 'workers' | 'tasks' | 'runs' | 'tokens';

export const PAGES: readonly { page: Page; label: string }[] = [
  { page: 'dashboard', label: 'Dashboard' },
  { page: 'groups', label: 'Groups' },
  { page: 'workers', label: 'Workers' },
  { page: 'tasks', label: 'Tasks' },
  { page: 'runs', label: 'Runs' },
  { page: 'tokens', label: 'Tokens' },
];

class Navigation {
  page = $state<Page>('dashboard');
  /** Set when the runs screen shows one run's detail. */
  runId = $state<string | null>(null);

  /** Set when the workers screen shows one worker's page. */
  workerId = $state<string | null>(null);

  go(page: Page): void {
    this.page = page;
    this.runId = null;
    this.workerId = null;
  }

  openWorker(id: string): void {
    this.go('workers');
    this.workerId = id;
  }

  openRun(id: string): void {
    this.page = 'runs';
    this.runId = id;
  }
}

export const navigation = new Navigation();
