import { sql } from 'drizzle-orm';
import { index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { teams } from './accounts';
import { createdAt, id, timestampColumn } from './columns';

export const projects = pgTable(
  'projects',
  {
    id: id(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdAt: createdAt(),
    deletedAt: timestampColumn('deleted_at'),
  },
  (t) => [
    uniqueIndex('projects_team_name_idx')
      .on(t.teamId, sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} is null`),
    index('projects_team_idx').on(t.teamId),
  ],
);

export type Project = typeof projects.$inferSelect;
