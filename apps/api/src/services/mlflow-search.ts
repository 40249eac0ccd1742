import { mlflowStore, type Project } from '@tuneboard/db';
import type { CompareOp, Expr, FieldRef, Literal } from '@tuneboard/filter';
import type { OpenType } from '@tuneboard/hparams';
import { requireTeam } from './access';
import { invalid } from './errors';
import { inferredStateOf, currentDeclaredSchema } from './hparam-schemas';
import {
  decodePageToken,
  encodePageToken,
  lifecycleOf,
  loadExperiment,
  MLFLOW_STATUSES,
  runViews,
  tuneboardStatusesOf,
  viewsOf,
  type ExperimentView,
  type MlflowStatus,
  type RunView,
  type ViewType,
} from './mlflow';
import { paramPath } from './run-params';
import type { Scope } from './scope';

/**
 * MLflow's search grammar (`params.batch_size <= '32' and metrics.loss < 0.5 and tags.team = 'nlp'`), translated
 * to what the store runs: typed comparisons through Tuneboard's filter wherever the project's schema knows a
 * param's type (so `params.batch_size <= 32` and `<= '32'` compare numbers, which MLflow itself cannot), MLflow's
 * text comparisons elsewhere. Anything outside the grammar is refused with a message naming it.
 */

export const MAX_SEARCH_RESULTS = 50_000;
export const DEFAULT_SEARCH_RESULTS = 1_000;
const MAX_EXPERIMENTS_PER_SEARCH = 100;

type Token =
  | { kind: 'ident'; entity: string | null; key: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'op'; op: string }
  | { kind: 'word'; word: string }
  | { kind: 'punct'; char: string };

const fail = (message: string) => invalid(message, [{ path: 'filter', message }]);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const quoted = (quote: string): string => {
    let value = '';
    i += 1;
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\' && i + 1 < text.length) i += 1;
      value += text[i];
      i += 1;
    }
    if (i >= text.length) throw fail(`Invalid filter '${text}': unterminated ${quote} quote`);
    i += 1;
    return value;
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === "'" || ch === '"') {
      tokens.push({ kind: 'string', value: quoted(ch) });
    } else if (ch === '`') {
      tokens.push({ kind: 'ident', entity: null, key: quoted('`') });
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: 'punct', char: ch });
      i += 1;
    } else if (/[<>=!]/.test(ch)) {
      const op = /^(<=|>=|!=|=|<|>)/.exec(text.slice(i))?.[1];
      if (!op) throw fail(`Invalid filter '${text}': unexpected '${ch}' at character ${i + 1}`);
      tokens.push({ kind: 'op', op });
      i += op.length;
    } else if (/[-+\d.]/.test(ch)) {
      const number = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(text.slice(i))?.[0];
      if (!number) throw fail(`Invalid filter '${text}': unexpected '${ch}' at character ${i + 1}`);
      tokens.push({ kind: 'number', value: Number(number), text: number });
      i += number.length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][\w]*/.exec(text.slice(i))![0];
      i += word.length;
      if (text[i] === '.') {
        // entity.key, the key bare (may contain dots), backquoted or double-quoted.
        i += 1;
        const next = text[i];
        let key: string;
        if (next === '`' || next === '"') key = quoted(next);
        else {
          key = /^[\w.\-/:]+/.exec(text.slice(i))?.[0] ?? '';
          i += key.length;
        }
        if (key === '') throw fail(`Invalid filter '${text}': expected a key after '${word}.'`);
        tokens.push({ kind: 'ident', entity: word.toLowerCase(), key });
      } else tokens.push({ kind: 'word', word });
    } else throw fail(`Invalid filter '${text}': unexpected '${ch}' at character ${i + 1}`);
  }
  return tokens;
}

export interface Clause {
  entity: 'param' | 'metric' | 'tag' | 'attribute';
  key: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';
  values: (string | number)[];
}

const ENTITIES: Record<string, Clause['entity']> = {
  params: 'param',
  param: 'param',
  metrics: 'metric',
  metric: 'metric',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

/** `clause and clause …`: MLflow's grammar has no `or` and no parentheses around clauses. */
export function parseSearchFilter(text: string | null | undefined): Clause[] {
  if (!text || text.trim() === '') return [];
  const tokens = tokenize(text);
  const clauses: Clause[] = [];
  let i = 0;
  while (i < tokens.length) {
    const ident = tokens[i++]!;
    let entity: Clause['entity'];
    let key: string;
    if (ident.kind === 'ident') {
      if (ident.entity === null) throw fail(`Invalid filter '${text}': write a backquoted key after its entity, e.g. params.\`${ident.key}\``);
      const known = ENTITIES[ident.entity];
      if (!known) throw fail(`Invalid entity type '${ident.entity}'. Valid values are ['metric', 'parameter', 'tag', 'attribute']`);
      entity = known;
      key = ident.key;
    } else if (ident.kind === 'word' && !/^(and|or|not|in|like|ilike)$/i.test(ident.word)) {
      entity = 'attribute';
      key = ident.word;
    } else throw fail(`Invalid filter '${text}': expected an identifier such as params.lr, metrics.loss, tags.name or attributes.status`);
    const opToken = tokens[i++];
    let op: Clause['op'];
    if (opToken?.kind === 'op') op = opToken.op as Clause['op'];
    else if (opToken?.kind === 'word' && /^(like|ilike|in)$/i.test(opToken.word)) op = opToken.word.toUpperCase() as Clause['op'];
    else if (opToken?.kind === 'word' && /^not$/i.test(opToken.word) && tokens[i]?.kind === 'word' && /^in$/i.test((tokens[i] as { word: string }).word)) {
      i += 1;
      op = 'NOT IN';
    } else throw fail(`Invalid filter '${text}': expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN) after '${key}'`);
    const values: (string | number)[] = [];
    if (op === 'IN' || op === 'NOT IN') {
      if (tokens[i]?.kind !== 'punct' || (tokens[i] as { char: string }).char !== '(')
        throw fail(`Invalid filter '${text}': ${op} takes a list in parentheses, e.g. ('a', 'b')`);
      i += 1;
      for (;;) {
        const value = tokens[i++];
        if (value?.kind !== 'string' && value?.kind !== 'number') throw fail(`Invalid filter '${text}': ${op} lists quoted values`);
        values.push(value.kind === 'string' ? value.value : value.value);
        const next = tokens[i++];
        if (next?.kind === 'punct' && next.char === ')') break;
        if (next?.kind !== 'punct' || next.char !== ',') throw fail(`Invalid filter '${text}': expected ',' or ')' in the ${op} list`);
      }
    } else {
      const value = tokens[i++];
      if (value?.kind === 'string') values.push(value.value);
      else if (value?.kind === 'number') values.push(value.value);
      else throw fail(`Invalid filter '${text}': expected a value after '${key} ${op}'`);
    }
    clauses.push({ entity, key, op, values });
    const joiner = tokens[i];
    if (joiner === undefined) break;
    if (joiner.kind === 'word' && /^and$/i.test(joiner.word)) {
      i += 1;
      if (i >= tokens.length) throw fail(`Invalid filter '${text}': nothing after 'and'`);
      continue;
    }
    if (joiner.kind === 'word' && /^or$/i.test(joiner.word))
      throw fail(`Invalid filter '${text}': MLflow's search grammar joins clauses with 'and' only; 'or' is not supported`);
    throw fail(`Invalid filter '${text}': expected 'and' between clauses`);
  }
  return clauses;
}

const SPAN = { start: 0, end: 0 };
const compare = (field: FieldRef, op: CompareOp, value: Literal): Expr => ({
  type: 'compare',
  field,
  op,
  value,
  span: SPAN,
  fieldSpan: SPAN,
  opSpan: SPAN,
  valueSpan: SPAN,
});
const inList = (field: FieldRef, values: Literal[], negated: boolean): Expr => ({
  type: 'in',
  field,
  values,
  negated,
  valueSpans: values.map(() => SPAN),
  span: SPAN,
  fieldSpan: SPAN,
  opSpan: SPAN,
});
const COMPARE_OPS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);

function numberOf(value: string | number, what: string): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'string' && (value.trim() === '' || !Number.isFinite(number))) throw fail(`Expected a numeric value for ${what}, got '${value}'`);
  return number;
}

function typedLiteral(value: string | number, type: OpenType): Literal | undefined {
  if (type === 'integer' || type === 'float') {
    const number = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  if (type === 'boolean') {
    const lower = String(value).toLowerCase();
    return lower === 'true' ? true : lower === 'false' ? false : undefined;
  }
  return undefined;
}

/** One clause as store conditions, typed through the param types the searched projects know. */
export function translateClause(clause: Clause, paramTypes: ReadonlyMap<string, OpenType>): mlflowStore.MlflowRunCondition {
  const { key, op, values } = clause;
  const list = op === 'IN' || op === 'NOT IN';
  switch (clause.entity) {
    case 'metric': {
      if (!COMPARE_OPS.has(op)) throw fail(`Invalid comparator '${op}' for metrics.${key}; use one of =, !=, <, <=, >, >=`);
      return { kind: 'filter', expr: compare({ kind: 'metric', key, agg: 'last' }, op as CompareOp, numberOf(values[0]!, `metrics.${key}`)) };
    }
    case 'param': {
      const path = paramPath(key);
      const type = paramTypes.get(path);
      // A string path compares its typed values too, so runs logged with Tuneboard's own SDK match as well.
      if (type === 'string' && (op === '=' || op === '!=' || list)) {
        const field: FieldRef = { kind: 'param', path };
        const texts = values.map(String);
        return { kind: 'filter', expr: list ? inList(field, texts, op === 'NOT IN') : compare(field, op as CompareOp, texts[0]!) };
      }
      if (type && type !== 'string' && type !== 'null' && op !== 'LIKE' && op !== 'ILIKE') {
        const typed = values.map((value) => typedLiteral(value, type));
        if (typed.every((value) => value !== undefined)) {
          const field: FieldRef = { kind: 'param', path };
          return { kind: 'filter', expr: list ? inList(field, typed as Literal[], op === 'NOT IN') : compare(field, op as CompareOp, typed[0]!) };
        }
      }
      if (op === '<' || op === '<=' || op === '>' || op === '>=')
        throw fail(
          `Invalid comparator '${op}' for params.${key}: it is not a number in these experiments, so it compares as text with =, !=, LIKE, ILIKE, IN or NOT IN`,
        );
      return { kind: 'text', target: { param: key }, op, values: values.map(String) };
    }
    case 'tag': {
      if (op === '<' || op === '<=' || op === '>' || op === '>=')
        throw fail(`Invalid comparator '${op}' for tags.${key}; use =, !=, LIKE, ILIKE, IN or NOT IN`);
      return { kind: 'text', target: { tag: key }, op, values: values.map(String) };
    }
    case 'attribute':
      return translateAttribute(key, op, values);
  }
}

function translateAttribute(key: string, op: Clause['op'], values: (string | number)[]): mlflowStore.MlflowRunCondition {
  const list = op === 'IN' || op === 'NOT IN';
  switch (key) {
    case 'run_id':
    case 'run_uuid':
      if (op !== '=' && op !== '!=' && !list) throw fail(`Invalid comparator '${op}' for attributes.run_id; use =, !=, IN or NOT IN`);
      return {
        kind: 'runIds',
        ids: values.map((v) => String(v).toLowerCase()).filter((v) => /^[0-9a-f-]{36}$/.test(v)),
        negated: op === '!=' || op === 'NOT IN',
      };
    case 'run_name':
      if (op === '<' || op === '<=' || op === '>' || op === '>=') throw fail(`Invalid comparator '${op}' for attributes.run_name`);
      return { kind: 'text', target: { name: true }, op, values: values.map(String) };
    case 'status': {
      if (op !== '=' && op !== '!=' && !list) throw fail(`Invalid comparator '${op}' for attributes.status; use =, !=, IN or NOT IN`);
      const statuses = values.flatMap((value) => {
        const status = String(value).toUpperCase() as MlflowStatus;
        if (!MLFLOW_STATUSES.includes(status)) throw fail(`Invalid status '${value}'; use one of ${MLFLOW_STATUSES.join(', ')}`);
        return tuneboardStatusesOf(status);
      });
      return { kind: 'filter', expr: inList({ kind: 'run', name: 'status' }, statuses, op === '!=' || op === 'NOT IN') };
    }
    case 'start_time':
    case 'end_time':
    case 'created':
    case 'Created':
      if (!COMPARE_OPS.has(op)) throw fail(`Invalid comparator '${op}' for attributes.${key}; use =, !=, <, <=, >, >=`);
      return { kind: 'time', column: key === 'end_time' ? 'end' : 'start', op: op as '=', ms: numberOf(values[0]!, `attributes.${key}`) };
    default:
      throw fail(`Invalid attribute key '${key}' specified. Valid keys are ['run_id', 'run_name', 'status', 'start_time', 'end_time', 'created']`);
  }
}

/** `metrics.loss DESC`, `params.lr`, `attributes.start_time ASC`, `run_name`. */
export function parseOrderBy(orderBy: readonly string[], paramTypes: ReadonlyMap<string, OpenType>): mlflowStore.MlflowRunOrder[] {
  return orderBy.map((text) => {
    const match = /^\s*(.+?)(?:\s+(asc|desc))?\s*$/i.exec(text);
    const tokens = match ? tokenize(match[1]!) : [];
    const ident = tokens[0];
    if (!match || tokens.length !== 1 || !ident || (ident.kind !== 'ident' && ident.kind !== 'word'))
      throw invalid(`Invalid order_by clause '${text}'; write e.g. 'metrics.loss DESC' or 'attributes.start_time'`, [
        { path: 'order_by', message: 'bad clause' },
      ]);
    const ascending = (match[2] ?? 'asc').toLowerCase() === 'asc';
    const entity = ident.kind === 'word' ? 'attribute' : ENTITIES[ident.entity ?? ''];
    const key = ident.kind === 'word' ? ident.word : ident.key;
    switch (entity) {
      case 'metric':
        return { field: 'metric', key, ascending };
      case 'param': {
        void paramTypes;
        return { field: 'param', path: paramPath(key), ascending };
      }
      case 'tag':
        return { field: 'tag', key, ascending };
      case 'attribute': {
        const field = (
          { start_time: 'start_time', created: 'start_time', end_time: 'end_time', run_name: 'name', status: 'status', run_id: 'run_id' } as const
        )[key as 'start_time'];
        if (!field)
          throw invalid(`Invalid order_by attribute '${key}'; use start_time, end_time, run_name, status or run_id`, [
            { path: 'order_by', message: 'bad attribute' },
          ]);
        return { field, ascending };
      }
      default:
        throw invalid(`Invalid order_by entity in '${text}'; use metrics., params., tags. or attributes.`, [{ path: 'order_by', message: 'bad entity' }]);
    }
  });
}

/** The param types the projects know (declared, then inferred): the first project that knows a path decides. */
async function paramTypesOf(ctx: Scope, projects: readonly Project[]): Promise<Map<string, OpenType>> {
  const types = new Map<string, OpenType>();
  for (const project of projects) {
    if (project.schemaKind === 'declared')
      for (const entry of (await currentDeclaredSchema(ctx.store, project.id))?.schema.paths ?? [])
        if (!types.has(entry.path)) types.set(entry.path, entry.type);
    for (const [path, entry] of Object.entries(inferredStateOf(project).paths)) if (!types.has(path) && entry.type !== 'null') types.set(path, entry.type);
  }
  return types;
}

export async function searchMlflowRuns(
  ctx: Scope,
  input: { experimentIds: string[]; filter: string | null; view: ViewType; maxResults: number; orderBy: string[]; pageToken: string | null },
): Promise<{ runs: RunView[]; nextPageToken: string | null }> {
  if (input.experimentIds.length > MAX_EXPERIMENTS_PER_SEARCH)
    throw invalid(`A search covers at most ${MAX_EXPERIMENTS_PER_SEARCH} experiments`, [{ path: 'experiment_ids', message: 'too many' }]);
  if (!Number.isInteger(input.maxResults) || input.maxResults < 1 || input.maxResults > MAX_SEARCH_RESULTS)
    throw invalid(`Invalid value ${input.maxResults} for parameter 'max_results' supplied. It must be at most ${MAX_SEARCH_RESULTS}, and at least 1`, [
      { path: 'max_results', message: 'out of range' },
    ]);
  const projects: Project[] = [];
  for (const id of input.experimentIds) projects.push(await loadExperiment(ctx, id, 'read'));
  const types = await paramTypesOf(ctx, projects);
  const conditions = parseSearchFilter(input.filter).map((clause) => translateClause(clause, types));
  const orderBy = parseOrderBy(input.orderBy, types);
  const offset = decodePageToken(input.pageToken);
  const rows = await mlflowStore.searchRuns(ctx.store, {
    projectIds: projects.map((p) => p.id),
    view: lifecycleOf(input.view),
    conditions,
    orderBy,
    limit: input.maxResults + 1,
    offset,
  });
  const teamOf = new Map(projects.map((p) => [p.id, p.teamId]));
  const page = rows.slice(0, input.maxResults);
  return {
    runs: await runViews(
      ctx,
      page.map((run) => ({ run, teamId: teamOf.get(run.projectId)! })),
    ),
    nextPageToken: rows.length > input.maxResults ? encodePageToken(offset + input.maxResults) : null,
  };
}

/** experiments/search filters: `name` and `tags.<key>` with =, !=, LIKE and ILIKE, joined by and. */
export function experimentConditions(filter: string | null | undefined): mlflowStore.ExperimentCondition[] {
  return parseSearchFilter(filter).map(({ entity, key, op, values }) => {
    const isName = entity === 'attribute' && key === 'name';
    if (!isName && entity !== 'tag')
      throw fail(`Invalid experiment filter on ${entity === 'attribute' ? key : `${entity}s.${key}`}: experiments are searched by name and tags.<key>`);
    if (op !== '=' && op !== '!=' && op !== 'LIKE' && op !== 'ILIKE')
      throw fail(`Invalid comparator '${op}' in the experiment filter; use =, !=, LIKE or ILIKE`);
    const value = String(values[0]);
    return isName ? { target: { name: true as const }, op, value } : { target: { tag: key }, op, value };
  });
}

export async function searchExperiments(
  ctx: Scope,
  teamId: string,
  input: {
    view: ViewType;
    maxResults: number;
    pageToken: string | null;
    filter: string | null;
    order: { field: 'name' | 'created' | 'id'; ascending: boolean };
  },
): Promise<{ experiments: ExperimentView[]; nextPageToken: string | null }> {
  requireTeam(ctx, teamId, 'read', 'Team', teamId);
  const conditions = experimentConditions(input.filter);
  const offset = decodePageToken(input.pageToken);
  const rows = await mlflowStore.searchProjects(ctx.store, {
    teamIds: [teamId],
    view: lifecycleOf(input.view),
    conditions,
    order: input.order,
    limit: input.maxResults + 1,
    offset,
  });
  const page = rows.slice(0, input.maxResults);
  return { experiments: await viewsOf(ctx, page), nextPageToken: rows.length > input.maxResults ? encodePageToken(offset + input.maxResults) : null };
}
