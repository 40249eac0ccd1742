import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Training tests run real epochs on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
