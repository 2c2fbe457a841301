// Which screen the console shows. The console is one window with a sidebar, so no URL routing is needed; the last
// screen is remembered in this console (issue 8) and shown again on the next start.
export type Page = 'dashboard' | 'groups' | 'workers' | 'tasks' | 'runs' | 'tokens' | 'alerts' | 'settings';

export const PAGES: readonly { page: Page; label: string }[] = [
  { page: 'dashboard', label: 'Dashboard' },
  { page: 'groups', label: 'Groups' },
  { page: 'workers', label: 'Workers' },
  { page: 'tasks', label: 'Tasks' },
  { page: 'runs', label: 'Runs' },
  { page: 'tokens', label: 'Tokens' },
  { page: 'alerts', label: 'Alerts' },
  { page: 'settings', label: 'Settings' },
];

const STORAGE = 'baton.page';

/** The remembered screen, or the dashboard when nothing (or something unknown) was stored. */
export function pageOf(stored: string | null | undefined): Page {
  return PAGES.find((p) => p.page === stored)?.page ?? 'dashboard';
}

class Navigation {
  page = $state<Page>(pageOf(globalThis.localStorage?.getItem(STORAGE)));
  /** Set when the runs screen shows one run's detail; alerts link to a run as `#/runs/<id>`. */
  runId = $state<string | null>(null);
  /** Set when the tasks screen shows one task's page. */
  taskId = $state<string | null>(null);

  constructor() {
    const linked = typeof location === 'undefined' ? null : /^#\/runs\/([\w-]+)$/.exec(location.hash)?.[1];
    if (linked) this.openRun(linked);
  }

  /** Set when the workers screen shows one worker's page. */
  workerId = $state<string | null>(null);

  go(page: Page): void {
    this.page = page;
    this.runId = null;
    this.taskId = null;
    this.workerId = null;
    globalThis.localStorage?.setItem(STORAGE, page);
  }

  openTask(id: string): void {
    this.go('tasks');
    this.taskId = id;
  }

  /** The runs screen, filtered to one task's runs (the task page's "All runs of this task"). */
  runsOfTask: string | null = null;

  openRunsOf(taskId: string): void {
    this.go('runs');
    this.runsOfTask = taskId;
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
