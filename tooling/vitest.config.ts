import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.test.ts'],
    // Loading the config and its plugins once takes a few seconds on a busy machine.
    testTimeout: 60_000,
  },
});
