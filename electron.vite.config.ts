// Builds the three Electron parts: main (the shell and the headless master CLI), preload, renderer.
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const alias = {
  '@contract': here('./src-main/master/api/contract/index.ts'),
  'baton-agent/protocol': here('./worker-agent/src/protocol.ts'),
  'baton-agent/outbound': here('./worker-agent/src/outbound-request.ts'),
};

// The runtime is pinned to Electron 33.2.1 (Node 20.18, Chromium 130).
const NODE_TARGET = 'node20.18';
const CHROME_TARGET = 'chrome130';

export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      target: NODE_TARGET,
      outDir: here('./out/main'),
      // Bundled rather than loaded from node_modules (with its Postgres backend, which imports it): agenda imports its package.json as a JSON module, which
      // Electron's Node 20.18 flags with an ExperimentalWarning on every start; bundled, the JSON is inlined.
      externalizeDeps: { exclude: ['agenda', '@agendajs/postgres-backend'] },
      // The headless master (`baton-master`) is built beside the shell, so both share one bundle of the master.
      rolldownOptions: {
        input: { index: here('./src-main/index.ts'), 'master-host': here('./src-main/master-host.ts'), cli: here('./src-main/cli.ts') },
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      target: NODE_TARGET,
      outDir: here('./out/preload'),
      // A sandboxed preload cannot load ES modules, so it is CommonJS even though the package is ESM.
      rolldownOptions: {
        input: { index: here('./src-main/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: here('./src-renderer'),
    resolve: { alias },
    // No svelte.config.js: the defaults (runes, TS in <script lang="ts">) are what the console uses.
    plugins: [svelte({ configFile: false })],
    build: {
      target: CHROME_TARGET,
      outDir: here('./out/renderer'),
      rolldownOptions: { input: here('./src-renderer/index.html') },
    },
  },
});
