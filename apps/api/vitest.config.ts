import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);
const TIMED = ['test/security/cost.test.ts'];

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module) copies. Node, and so Apollo Server, loads the CommonJS
    // one; Vite would hand our sources the ESM one, and graphql refuses a schema from "another realm".
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    // Integration tests start real servers and child processes.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'api', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: [...TIMED], sequence: { groupOrder: 0 } } },
      // Tests that bound how long the server takes to answer run alone, after the rest: on a 2-core machine a
      // neighbouring file spawning CLI processes would otherwise be what they measure.
      { extends: true, test: { name: 'api-timed', include: [...TIMED], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
