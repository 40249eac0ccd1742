import { primaryKey, text, uuid, pgTable } from 'drizzle-orm/pg-core';
import { users } from './accounts';
import { createdAt } from './columns';
import { projects } from './projects';

// Suggested findings a person dismissed (#14): the scan stops proposing this rule for this metric of the project.
// Suggestions themselves are computed on demand and never stored.
export const findingSuggestionDismissals = pgTable(
  'finding_suggestion_dismissals',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    metricKey: text('metric_key').notNull(),
    // Canonical filter-language text (formatExpression), as the scan writes its rules.
    rule: text('rule').notNull(),
    dismissedById: uuid('dismissed_by_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.metricKey, t.rule] })],
);
