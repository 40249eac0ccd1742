import { defineConfig } from 'drizzle-kit';

// `npm run db:generate -w @tuneboard/db` turns schema changes into a committed SQL migration.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './drizzle',
});
