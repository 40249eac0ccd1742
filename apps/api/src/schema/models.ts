import type {
  apiTokens,
  invitations,
  findingComments,
  findingEvents,
  findings,
  projects,
  runAnnotations,
  runs,
  SeriesPoints,
  teams,
  workers,
} from '@tuneboard/db';
import type { EdgeOfRange, Evidence, EvidencePoint, GroupSummary, RuleGroupBest } from '@tuneboard/findings';
import type { DerivedFacts } from '@tuneboard/hparams';
import type { MetricSummaryRow, Role } from '@tuneboard/db';
import type { Actor } from '../services/accounts';
import type { RunEventMessage } from '../services/events';
import type { HparamSchemaVersionView } from '../services/hparam-schemas';

// What resolvers receive as parents: database rows and service objects, mapped onto GraphQL types by codegen.
export type ViewerModel = Actor;
export type TeamModel = typeof teams.$inferSelect;
export type UserModel = { id: string; email: string; name: string | null };
export type TeamMemberModel = { userId: string; role: Role };
export type ApiTokenModel = typeof apiTokens.$inferSelect;
export type InvitationModel = typeof invitations.$inferSelect;
export type ProjectModel = typeof projects.$inferSelect;
export type RunModel = typeof runs.$inferSelect;
export type RunAnnotationModel = typeof runAnnotations.$inferSelect;
export type MetricSummaryModel = MetricSummaryRow;
export type MetricSeriesModel = SeriesPoints;
export type RunEventModel = RunEventMessage;
export type DerivedFactsModel = DerivedFacts;
export type WorkerModel = typeof workers.$inferSelect;
export type RunLeaseModel = typeof runs.$inferSelect;
export type FindingModel = typeof findings.$inferSelect;
export type FindingCommentModel = typeof findingComments.$inferSelect;
export type FindingEventModel = typeof findingEvents.$inferSelect;
export type FindingEvidenceModel = Evidence;
export type EvidenceGroupModel = GroupSummary;
export type EvidencePointModel = EvidencePoint;
export type EvidenceBestModel = { run: RunModel; value: number };
export type EvidenceGroupBestModel = RuleGroupBest;
export type EvidenceEdgeOfRangeModel = EdgeOfRange;
export type FindingCheckModel = { finding: FindingModel; follows: boolean };
/** finishRuns' answer: its runs are read only when selected. */
export type FinishRunsPayloadModel = { accepted: number; runIds: string[] };
export type RunWarningModel = { code: string; message: string; findingId?: string | null };
export type HparamSchemaVersionModel = HparamSchemaVersionView;

/** A search hit as the store returns it (services/search.ts). */
export type { SearchHit as SearchHitModel } from '../services/search';
