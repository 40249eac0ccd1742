import { sql } from 'drizzle-orm';
import { boolean, check, index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { users } from './accounts';
import { createdAt, id, timestampColumn } from './columns';
import { projects } from './projects';
import { runs } from './runs';

export const FINDING_STATUSES = ['proposed', 'supported', 'contested', 'retired'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];
export const FINDING_SEVERITIES = ['advice', 'policy'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];
export const FINDING_EVENT_KINDS = ['created', 'updated', 'status_changed', 'commented', 'retired'] as const;
export type FindingEventKind = (typeof FINDING_EVENT_KINDS)[number];

// What a team learned, as a rule over hyperparameter paths that is re-checked against its runs.
export const findings = pgTable(
  'findings',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    // Shared findings speak about (and warn on) every project of the team, not only their own.
    sharedWithTeam: boolean('shared_with_team').notNull().default(false),
    title: text('title').notNull(),
    statement: text('statement').notNull().default(''),
    // Expressions in the filter language, stored as canonical text (formatExpression) and parsed on use.
    rule: text('rule').notNull(),
    scope: text('scope').notNull().default(''),
    metricKey: text('metric_key').notNull(),
    metricAggregate: text('metric_aggregate', { enum: ['last', 'min', 'max'] })
      .notNull()
      .default('last'),
    metricDirection: text('metric_direction', { enum: ['higher', 'lower'] }).notNull(),
    severity: text('severity', { enum: FINDING_SEVERITIES }).notNull().default('advice'),
    status: text('status', { enum: FINDING_STATUSES }).notNull().default('proposed'),
    // The last computed evidence summary (verdict, groups, interval), refreshed as runs finish.
    evidence: jsonb('evidence'),
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('findings_project_idx').on(t.projectId, t.createdAt),
    check('findings_status_check', sql`${t.status} in ('proposed', 'supported', 'contested', 'retired')`),
    check('findings_severity_check', sql`${t.severity} in ('advice', 'policy')`),
    check('findings_metric_check', sql`${t.metricAggregate} in ('last', 'min', 'max') and ${t.metricDirection} in ('higher', 'lower')`),
  ],
);

// Runs the author cited as evidence (beside the runs in scope, which count automatically).
export const findingCitations = pgTable(
  'finding_citations',
  {
    findingId: uuid('finding_id')
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.findingId, t.runId] })],
);

export const findingComments = pgTable(
  'finding_comments',
  {
    id: id(),
    findingId: uuid('finding_id')
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('finding_comments_finding_idx').on(t.findingId, t.createdAt)],
);

// Every change to a finding: who (null = Tuneboard re-checking the evidence), when, what.
export const findingEvents = pgTable(
  'finding_events',
  {
    id: id(),
    findingId: uuid('finding_id')
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: FINDING_EVENT_KINDS }).notNull(),
    // For updates: { field: { from, to } }; for status changes: { from, to, verdict }.
    changes: jsonb('changes').notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('finding_events_finding_idx').on(t.findingId, t.createdAt)],
);

export type Finding = typeof findings.$inferSelect;
/** The columns of a new finding (those with defaults optional). */
export type NewFinding = typeof findings.$inferInsert;
export type FindingComment = typeof findingComments.$inferSelect;
export type FindingEvent = typeof findingEvents.$inferSelect;
