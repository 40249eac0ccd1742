import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The browser test starts the API, a worker and the built Next app, then trains real runs.
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
