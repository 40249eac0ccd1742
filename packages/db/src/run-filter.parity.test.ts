import {
  evaluate,
  formatExpression,
  parseExpression,
  referencedParamPaths,
  RUN_STATUSES,
  type CompareOp,
  type Expr,
  type FieldRef,
  type LeafExpr,
  type Literal,
  type MetricAggregate,
  type MetricSummary,
  type RunRecord,
} from '@tuneboard/filter';
import { formatOpenPath } from '@tuneboard/hparams';
import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFilterSql } from './run-filter';
import { metricSummaries, projects, runs, teams } from './schema/index';
import { testDatabases, type TestStore } from './testing';

/*
 * The filter language has two implementations: `evaluate` (dashboard, findings) and `runFilterSql`
 * (`runs(filter:)`). This property generates run sets and expressions, stores the runs, and requires both to
 * select exactly the same runs. Expressions are generated as trees, printed with formatExpression and parsed
 * back, so each case is also text a user could type (and the counterexample is printed as such).
 *
 * Scope: hyperparameter paths include open configs' keys with any characters (written quoted, `cfg["a.b"][0]`);
 * hyperparameter tests take literals of any type, as the evaluator accepts (a string path against a
 * number, a number path against a string, a path only some runs have, one no run has), with every operator.
 * Run fields, tags and metrics take literals of their own column's type only (the checker refuses `name = 3`
 * or `last(loss) = "x"` before any SQL is written, and PostgreSQL would refuse to compare text with float8);
 * text run fields still get every operator. An `in` list holds one type, as the checker requires.
 */

const CASES_PER_DATABASE = 2_000;
const EXPRESSIONS_PER_RUN_SET = 20;
const SEED = 20261201;

// Values chosen to collide between runs and literals often, plus arbitrary ones.
const NUMBERS = [0, 1, -1, 2, 32, 64, 0.5, -0.25, 3e-3, 1e-7, 1e6, 2 ** 53 + 2, 0.1 + 0.2];
const STRINGS = [
  'adam',
  'Adam',
  'sgd',
  '',
  'a b',
  'o\'brien"s {x}',
  '32',
  'true',
  '%',
  '_',
  '\\',
  'Über',
  'über',
  'ß',
  'ẞ',
  'İ',
  'i',
  'ı',
  'οδοσ',
  'ς',
  '\u0001\b',
];
const TAGS = ['baseline', 'Baseline', 'mnist', 'broken', 'a,b', '"q"', '{x}', 'NULL', ''];
const NAMES = ['sweep-1', 'LR-Sweep-3', 'cnn_big', 'Über-run', 'ÜBER', 'STRASSE', 'İzmir', 'ΟΔΟΣ', '50%', 'x_y', ''];
const WORKERS = ['wasm', 'cpu', 'CPU', 'tensorflow', 'gpu:0'];
const METRIC_KEYS = ['test.accuracy', 'train.loss', 'val loss'];
const METRIC_VALUES = [0, 0.5, 1, -1, 0.1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
// Paths with a type of their own, one present on some runs only, one whose type varies from run to run.
const BUILT_IN_PATHS = ['batchSize', 'optimizer.learningRate', 'optimizer.name', 'training.shuffle', 'model.convLayers[0].stride', 'mixed'];
// Keys of open configs, which the filter writes quoted (`cfg["a.b"]`, `["学习率"]`, `["status"]`): characters that end a
// path segment, a JSON string or a SQL literal, Unicode, a keyword, a run field's name, and a few arbitrary keys.
// (Not U+0000, which a jsonb string cannot hold, nor lone surrogates.)
const OPEN_KEYS = [
  'a.b"c\'d]e',
  '学习率',
  'in',
  'status',
  '',
  '[0]',
  '\\ é\t',
  ...fc.sample(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 5 }).filter((key) => !key.includes('\u0000') && !/\p{Cs}/u.test(key)),
    { seed: SEED, numRuns: 3 },
  ),
];
const OPEN_PATHS = OPEN_KEYS.map((key, i) => formatOpenPath(i % 2 === 0 ? [key] : ['cfg', key, 0]));
const PARAM_PATHS = [...BUILT_IN_PATHS, ...OPEN_PATHS];
const ABSENT_PATH = 'model.never';
const ABSENT_METRIC = 'never.logged';

const numberArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.integer({ min: -100, max: 100 }) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);
const stringArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...STRINGS) }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) });
const literalArb: fc.Arbitrary<Literal> = fc.oneof(numberArb, stringArb, fc.boolean());
const metricValueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...METRIC_VALUES) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constant(null) },
);

type Param = number | string | boolean;
const paramValueArb: Record<string, fc.Arbitrary<Param>> = {
  batchSize: fc.oneof(fc.constantFrom(16, 32, 64, 0, -1), fc.integer({ min: -5, max: 200 })),
  'optimizer.learningRate': numberArb,
  'optimizer.name': stringArb,
  'training.shuffle': fc.boolean(),
  'model.convLayers[0].stride': fc.constantFrom(1, 2, 3),
  mixed: literalArb,
  ...Object.fromEntries(OPEN_PATHS.map((path) => [path, literalArb])),
};

interface GeneratedRun {
  record: RunRecord;
  metrics: Record<string, MetricSummary>;
}

const runArb: fc.Arbitrary<GeneratedRun> = fc
  .record({
    params: fc.record(paramValueArb, { requiredKeys: ['batchSize', 'optimizer.name'] }),
    status: fc.constantFrom(...RUN_STATUSES),
    name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 6 })),
    tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }),
    backend: fc.option(fc.constantFrom(...WORKERS)),
    device: fc.option(fc.constantFrom(...WORKERS)),
    metrics: fc.record(Object.fromEntries(METRIC_KEYS.map((key) => [key, fc.record({ last: metricValueArb, min: metricValueArb, max: metricValueArb })])), {
      requiredKeys: [],
    }),
  })
  // Plain objects, as a run read from the database is (fc.record makes null-prototype ones).
  .map(({ params, metrics, ...rest }) => {
    const plainMetrics = Object.fromEntries(Object.entries(metrics).map(([key, summary]) => [key, { ...summary }]));
    return { record: { ...rest, params: { ...params } as Record<string, Param>, metrics: plainMetrics }, metrics: plainMetrics };
  });

const span = { start: 0, end: 0 };
const leafSpans = { span, fieldSpan: span, opSpan: span };
const OPS: CompareOp[] = ['=', '!=', '<', '<=', '>', '>='];

const compare = (field: FieldRef, op: CompareOp, value: Literal): LeafExpr => ({ type: 'compare', field, op, value, valueSpan: span, ...leafSpans });
const inList = (field: FieldRef, values: Literal[], negated: boolean): LeafExpr => ({
  type: 'in',
  field,
  values,
  negated,
  valueSpans: values.map(() => span),
  ...leafSpans,
});
const contains = (field: FieldRef, value: string): LeafExpr => ({ type: 'contains', field, value, valueSpan: span, ...leafSpans });

const paramField = fc.constantFrom(...PARAM_PATHS, ABSENT_PATH).map((path): FieldRef => ({ kind: 'param', path }));
const textField = fc.constantFrom('name', 'backend', 'device').map((name): FieldRef => ({ kind: 'run', name }));
const statusField: FieldRef = { kind: 'run', name: 'status' };
const metricField = fc
  .record({ key: fc.constantFrom(...METRIC_KEYS, ABSENT_METRIC), agg: fc.constantFrom<MetricAggregate>('last', 'min', 'max') })
  .map((m): FieldRef => ({ kind: 'metric', ...m }));
// One type per list, as the checker requires of every value.
const uniformList = fc.oneof(
  fc.array(numberArb, { minLength: 1, maxLength: 4 }),
  fc.array(stringArb, { minLength: 1, maxLength: 4 }),
  fc.array(fc.boolean(), { minLength: 1, maxLength: 2 }),
);
const textLiteral = fc.oneof(fc.constantFrom(...NAMES, ...WORKERS), stringArb);

const leafArb: fc.Arbitrary<LeafExpr> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(paramField, fc.constantFrom(...OPS), literalArb).map(([f, op, v]) => compare(f, op, v)) },
  { weight: 2, arbitrary: fc.tuple(paramField, uniformList, fc.boolean()).map(([f, vs, n]) => inList(f, vs, n)) },
  { weight: 1, arbitrary: fc.tuple(paramField, stringArb).map(([f, v]) => contains(f, v)) },
  { weight: 2, arbitrary: fc.tuple(textField, fc.constantFrom(...OPS), textLiteral).map(([f, op, v]) => compare(f, op, v)) },
  { weight: 1, arbitrary: fc.tuple(textField, fc.array(textLiteral, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([f, vs, n]) => inList(f, vs, n)) },
  { weight: 2, arbitrary: fc.tuple(fc.oneof(textField, fc.constant(statusField)), textLiteral).map(([f, v]) => contains(f, v)) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom<CompareOp>('=', '!='), fc.constantFrom(...RUN_STATUSES)).map(([op, v]) => compare(statusField, op, v)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.uniqueArray(fc.constantFrom(...RUN_STATUSES), { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([vs, n]) => inList(statusField, vs, n)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...TAGS).map((value): LeafExpr => ({ type: 'has', field: { kind: 'run', name: 'tags' }, value, valueSpan: span, ...leafSpans })),
  },
  { weight: 3, arbitrary: fc.tuple(metricField, fc.constantFrom(...OPS), numberArb).map(([f, op, v]) => compare(f, op, v)) },
  { weight: 1, arbitrary: fc.tuple(metricField, fc.array(numberArb, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([f, vs, n]) => inList(f, vs, n)) },
);

const treeArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: leafArb },
    { weight: 1, arbitrary: tie('expr').map((expr): Expr => ({ type: 'not', expr, span })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), tie('expr'), tie('expr'))
        .map(([type, left, right]): Expr => ({ type, left, right, span })),
    },
  ),
})).expr;

/** A generated expression, shown in counterexamples as the text a user would type. */
const exprArb = treeArb.map((tree) => Object.assign(asTyped(tree), { [fc.toStringMethod]: () => formatExpression(tree) }));

/** The canonical text of a generated tree, and the tree the parser makes of it (what the API compiles). */
function asTyped(tree: Expr): { text: string; ast: Expr } {
  const text = formatExpression(tree);
  const parsed = parseExpression(text);
  if (!parsed.ok || parsed.ast === null) throw new Error(`formatted text does not parse back: ${text}`);
  // Both sides below read the parsed tree; a quoted key read back wrong would look up another key in both.
  const paths = JSON.stringify(referencedParamPaths(parsed.ast));
  if (paths !== JSON.stringify(referencedParamPaths(tree))) throw new Error(`formatted text reads other paths: ${text} → ${paths}`);
  return { text, ast: parsed.ast };
}

for (const database of testDatabases()) {
  describe(`run filter parity on ${database.name}`, () => {
    let store: TestStore;
    let projectId: string;

    beforeAll(async () => {
      store = await database.open();
      const [team] = await store.db.insert(teams).values({ name: 'ml' }).returning();
      const [project] = await store.db.insert(projects).values({ teamId: team!.id, name: 'parity' }).returning();
      projectId = project!.id;
    });
    afterAll(() => store?.destroy());

    /** Replaces the project's runs with `generated`; the stored id of each, in order. */
    async function storeRuns(generated: GeneratedRun[]): Promise<string[]> {
      await store.db.delete(runs).where(eq(runs.projectId, projectId));
      if (generated.length === 0) return [];
      const rows = await store.db
        .insert(runs)
        .values(
          generated.map(({ record }) => ({
            projectId,
            name: record.name,
            status: record.status as (typeof RUN_STATUSES)[number],
            config: {},
            flatParams: record.params,
            tags: [...record.tags],
            backend: record.backend ?? null,
            device: record.device ?? null,
          })),
        )
        .returning({ id: runs.id });
      const series = generated.flatMap(({ metrics }, i) =>
        Object.entries(metrics).map(([key, s]) => ({ runId: rows[i]!.id, key, lastValue: s.last ?? null, minValue: s.min ?? null, maxValue: s.max ?? null })),
      );
      if (series.length > 0) await store.db.insert(metricSummaries).values(series);
      return rows.map((r) => r.id);
    }

    it(`selects the same runs as evaluate() for ${CASES_PER_DATABASE} generated expressions`, async () => {
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(runArb, { minLength: 20, maxLength: 40 }),
          fc.array(exprArb, { minLength: EXPRESSIONS_PER_RUN_SET, maxLength: EXPRESSIONS_PER_RUN_SET }),
          async (generated, expressions) => {
            const ids = await storeRuns(generated);
            for (const { text, ast } of expressions) {
              const expected = ids.filter((_, i) => evaluate(ast, generated[i]!.record)).sort();
              const selected = (
                await store.db
                  .select({ id: runs.id })
                  .from(runs)
                  .where(and(eq(runs.projectId, projectId), runFilterSql(ast)))
              )
                .map((r) => r.id)
                .sort();
              cases++;
              if (JSON.stringify(selected) !== JSON.stringify(expected)) {
                const differing = ids.flatMap((id, i) =>
                  expected.includes(id) === selected.includes(id)
                    ? []
                    : [{ evaluate: expected.includes(id), sql: selected.includes(id), run: generated[i]!.record }],
                );
                const showNonFinite = (_: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
                throw new Error(`${text}\nselects differently:\n${JSON.stringify(differing, showNonFinite, 1)}`);
              }
            }
          },
        ),
        { seed: SEED, numRuns: CASES_PER_DATABASE / EXPRESSIONS_PER_RUN_SET },
      );
      expect(cases).toBeGreaterThanOrEqual(CASES_PER_DATABASE);
    }, 120_000);
  });
}
