import { generate } from '@graphql-codegen/cli';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printPublishedSchema } from '../src/schema/index';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('the published GraphQL contract', () => {
  it('apps/api/schema.graphql is exactly the schema the server serves (run `npm run generate -w @tuneboard/api`)', () => {
    expect(read('../schema.graphql')).toBe(printPublishedSchema());
  });

  it('the generated resolver types match schema.graphql', async () => {
    const config = (await import('../codegen')).default;
    const cwd = process.cwd();
    process.chdir(new URL('..', import.meta.url).pathname);
    try {
      const [output] = await generate({ ...config, silent: true } as never, false);
      expect((output as { content: string }).content).toBe(read('../src/generated/resolvers-types.ts'));
    } finally {
      process.chdir(cwd);
    }
  });
});
