// A finding's history and the team feed in words: who did what, from the event's kind and recorded changes.
export interface FindingEventLike {
  kind: string;
  changes: unknown;
  actor?: { email: string } | null;
}

const FIELD_NAMES: Record<string, string> = {
  title: 'title',
  statement: 'statement',
  rule: 'rule',
  scope: 'scope',
  metricKey: 'metric',
  metricAggregate: 'aggregate',
  metricDirection: 'direction',
  severity: 'severity',
  sharedWithTeam: 'sharing',
  citedRunIds: 'cited runs',
};
/** Fields short enough to show their old and new values inline. */
const SHOWN_VALUES = new Set(['rule', 'scope', 'severity', 'metricKey', 'metricAggregate', 'metricDirection', 'sharedWithTeam', 'title']);

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function shown(value: unknown): string {
  if (value === null || value === undefined || value === '') return '∅';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function actorName(event: FindingEventLike): string {
  return event.actor?.email ?? 'Tuneboard';
}

/** What happened, after the actor's name: "changed rule from batchSize <= 32 to batchSize <= 16". */
export function describeFindingEvent(event: FindingEventLike): string {
  const changes = record(event.changes);
  switch (event.kind) {
    case 'created':
      return typeof changes.rule === 'string' ? `recorded it with the rule ${changes.rule}` : 'recorded it';
    case 'updated': {
      const parts = Object.entries(changes).map(([field, change]) => {
        const name = FIELD_NAMES[field] ?? field;
        const { from, to } = record(change);
        return SHOWN_VALUES.has(field) ? `${name} from ${shown(from)} to ${shown(to)}` : name;
      });
      return parts.length > 0 ? `changed ${parts.join('; ')}` : 'edited it';
    }
    case 'status_changed':
      return `re-checked the evidence: ${shown(changes.from)} → ${shown(changes.to)}`;
    case 'commented':
      return 'commented';
    case 'retired':
      return typeof changes.reason === 'string' && changes.reason !== '' ? `retired it: ${changes.reason}` : 'retired it';
    default:
      return event.kind.replace(/_/g, ' ');
  }
}
