import { parseExpression, type Expr, type LeafExpr, type Literal } from '@tuneboard/filter';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFilterSql } from './run-filter';
import { projects, runs, teams } from './schema/index';
import { testDatabases, type TestStore } from './testing';

const span = { start: 0, end: 0 };
const leaf = (path: string, values: Literal[], negated = false): LeafExpr => ({
  type: 'in',
  field: { kind: 'param', path },
  values,
  negated,
  span,
  fieldSpan: span,
  opSpan: span,
  valueSpans: values.map(() => span),
});
const eq = (path: string, value: Literal): LeafExpr => ({
  type: 'compare',
  field: { kind: 'param', path },
  op: '=',
  value,
  span,
  fieldSpan: span,
  opSpan: span,
  valueSpan: span,
});
const chain = (type: 'and' | 'or', operands: Expr[]): Expr => operands.reduce((left, right) => ({ type, left, right, span }));
const compiled = (ast: Expr) => new PgDialect().sqlToQuery(runFilterSql(ast)!);
// A key with every character that could end a path segment, a JSON string or a SQL literal, and Unicode.
const ODD_KEY = 'a.b"c\'d]e[0] 学习率 \\ é';
const ODD_PATH = `cfg[${JSON.stringify(ODD_KEY)}]`;

describe('runFilterSql', () => {
  it('binds an in list as one array parameter, however long', () => {
    const values = Array.from({ length: 70_000 }, (_, i) => i);
    const { sql, params } = compiled(leaf('batchSize', values));
    expect(params).toEqual(['batchSize', 'batchSize', values]);
    expect(sql).toContain('= any($3::float8[])');
    expect(compiled(leaf('optimizer.name', ['adam'], true)).sql).toMatch(/<> all\(\$\d+::text\[\]\)/);
  });

  it('binds a quoted path as a parameter, never as SQL text', () => {
    const parsed = parseExpression(`cfg[${JSON.stringify(ODD_KEY)}] = 1 and cfg[${JSON.stringify(ODD_KEY)}] ~ "x"`);
    if (!parsed.ok || parsed.ast === null) throw new Error('does not parse');
    const { sql, params } = new PgDialect().sqlToQuery(runFilterSql(parsed.ast)!);
    expect(params).toContain(ODD_PATH);
    expect(sql).not.toContain(ODD_KEY);
    expect(sql).not.toContain('学习');
  });

  it('writes a chain of and/or as one flat list, not nested parentheses', () => {
    const depth = (length: number) => {
      let deepest = 0;
      let open = 0;
      for (const ch of compiled(
        chain(
          'or',
          Array.from({ length }, (_, i) => eq('a', i)),
        ),
      ).sql) {
        open += ch === '(' ? 1 : ch === ')' ? -1 : 0;
        deepest = Math.max(deepest, open);
      }
      return deepest;
    };
    expect(depth(1_000)).toBe(depth(2));
    expect(compiled(chain('and', [eq('a', 1), eq('b', 2), eq('c', 3)])).sql).toMatch(/^\(coalesce\(.* and coalesce\(.* and coalesce\(.*\)$/);
  });
});

for (const database of testDatabases()) {
  describe(`run filters with long lists on ${database.name}`, () => {
    let store: TestStore;

    beforeAll(async () => {
      store = await database.open();
      const [team] = await store.db.insert(teams).values({ name: 'ml' }).returning();
      const [project] = await store.db.insert(projects).values({ teamId: team!.id, name: 'mnist' }).returning();
      await store.db.insert(runs).values([
        {
          projectId: project!.id,
          name: 'small',
          config: {},
          flatParams: { batchSize: 32, 'optimizer.name': 'adam', 'model.bias': true, [ODD_PATH]: 1, '["学习率"]': 0.001, '["in"]': 'x' },
        },
        {
          projectId: project!.id,
          name: 'large',
          config: {},
          flatParams: { batchSize: 512, 'optimizer.name': 'o\'brien"s {x}', 'model.bias': false, [ODD_PATH]: 'xyz', status: 7 },
        },
      ]);
    });
    afterAll(() => store?.destroy());

    const names = async (ast: Expr) => (await store.db.select({ name: runs.name }).from(runs).where(runFilterSql(ast)).orderBy(runs.name)).map((r) => r.name);

    it('matches with a 70,000-value list, beyond the 65,535 bind parameters a query may have', async () => {
      const values = Array.from({ length: 70_000 }, (_, i) => i + 1_000);
      values[12_345] = 32;
      expect(await names(leaf('batchSize', values))).toEqual(['small']);
      expect(await names(leaf('batchSize', values, true))).toEqual(['large']);
    });

    it('matches text with quotes and braces, and booleans, as in lists', async () => {
      expect(await names(leaf('optimizer.name', ['sgd', 'o\'brien"s {x}']))).toEqual(['large']);
      expect(await names(leaf('model.bias', [true]))).toEqual(['small']);
      // A missing hyperparameter matches neither in nor not in, as in evaluate().
      expect(await names(leaf('model.missing', [1], true))).toEqual([]);
    });

    // Found by the parity property (run-filter.parity.test.ts); each expected list is what evaluate() selects.
    it.each([
      // The number 32 is not the text "32", and has no text to search ("->>" used to turn it into '32').
      ['batchSize = "32"', []],
      ['batchSize ~ "3"', []],
      ['model.bias = "true"', []],
      // A value of another type than the literal is still a value: != and not in hold, = does not.
      ['optimizer.name != 5', ['large', 'small']],
      ['optimizer.name not in [1, 2]', ['large', 'small']],
      ['model.bias != 1', ['large', 'small']],
      ['optimizer.name = 5', []],
      // …while a hyperparameter the run does not have stays false for every operator.
      ['model.missing != 5', []],
      ['model.missing not in ["a"]', []],
      // Only numbers are ordered; text used to be ordered by the database's collation.
      ['optimizer.name > "a"', []],
      ['name < "z"', []],
      ['not name < "z"', ['large', 'small']],
    ])('%s selects %j, as evaluate() does', async (text, expected) => {
      const parsed = parseExpression(text);
      if (!parsed.ok || parsed.ast === null) throw new Error(`${text} does not parse`);
      expect(await names(parsed.ast)).toEqual(expected);
    });

    it.each([
      [`cfg[${JSON.stringify(ODD_KEY)}] = 1`, ['small']],
      [`cfg[${JSON.stringify(ODD_KEY)}] ~ "Y"`, ['large']],
      [`cfg[${JSON.stringify(ODD_KEY)}] != 1`, ['large']],
      ['["学习率"] <= 0.001', ['small']],
      ['["\\u5b66\\u4e60\\u7387"] > 0', ['small']],
      ['["in"] in ["x"]', ['small']],
      // The quoted run field name is the hyperparameter; the bare one is the run's status.
      ['["status"] = 7', ['large']],
      ['status = "queued"', ['large', 'small']],
    ])('looks the quoted path of %s up in flat params, selecting %j', async (text, expected) => {
      const parsed = parseExpression(text);
      if (!parsed.ok || parsed.ast === null) throw new Error(`${text} does not parse`);
      expect(await names(parsed.ast)).toEqual(expected);
    });

    it('runs a chain of 1,000 tests', async () => {
      const ast = chain(
        'or',
        Array.from({ length: 1_000 }, (_, i) => eq('batchSize', i * 1_000 + 32)),
      );
      expect(await names(ast)).toEqual(['small']);
    });
  });
}
