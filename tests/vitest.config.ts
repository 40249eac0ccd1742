import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module) copies. Node, and so Apollo Server, loads the CommonJS
    // one; Vite would hand our sources the ESM one, and graphql refuses a schema from "another realm".
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['*.test.ts'],
    // Worker processes train real models: one file at a time leaves them the CPU.
    fileParallelism: false,
    // Integration tests start real servers and child processes.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
