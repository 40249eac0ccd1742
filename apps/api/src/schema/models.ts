import type { apiTokens, metricSeries, projects, runAnnotations, runs, SeriesPoints, teams, workers } from '@tuneboard/db';
import type { DerivedFacts } from '@tuneboard/hparams';
import type { Role } from '@tuneboard/db';
import type { Viewer } from '../services/accounts';
import type { RunEventMessage } from '../services/run-events';

// What resolvers receive as parents: database rows and service objects, mapped onto GraphQL types by codegen.
export type ViewerModel = Viewer;
export type TeamModel = typeof teams.$inferSelect;
export type UserModel = { id: string; email: string; name: string | null };
export type TeamMemberModel = { userId: string; role: Role };
export type ApiTokenModel = typeof apiTokens.$inferSelect;
export type ProjectModel = typeof projects.$inferSelect;
export type RunModel = typeof runs.$inferSelect;
export type RunAnnotationModel = typeof runAnnotations.$inferSelect;
export type MetricSummaryModel = typeof metricSeries.$inferSelect;
export type MetricSeriesModel = SeriesPoints;
export type RunEventModel = RunEventMessage;
export type DerivedFactsModel = DerivedFacts;
export type WorkerModel = typeof workers.$inferSelect;
export type RunLeaseModel = typeof runs.$inferSelect;
