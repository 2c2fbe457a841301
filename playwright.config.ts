// End-to-end tests drive the real Electron app (see test/e2e); scripts/e2e.mjs runs them under xvfb-run when headless.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/e2e',
  // Each test starts its own app with an embedded PostgreSQL; two at once would only compete for two cores.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 15_000 },
  // Kept apart from test-results/screenshots, which Playwright would otherwise wipe at start.
  outputDir: 'test-results/e2e',
  reporter: [['list']],
  retries: 0,
});
