import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const alias = {
  '@contract': fileURLToPath(new URL('./src-main/master/api/contract/index.ts', import.meta.url)),
  'baton-agent/protocol': fileURLToPath(new URL('./worker-agent/src/protocol.ts', import.meta.url)),
  'baton-agent/outbound': fileURLToPath(new URL('./worker-agent/src/outbound-request.ts', import.meta.url)),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      { resolve: { alias }, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
