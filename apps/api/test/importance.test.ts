import { packSeries } from '@tuneboard/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, testDatabases, type TestApi, type TestUser } from './harness';

// Project.importance: which hyperparameters a metric depends on, through the team scoping every Project field has.

const IMPORTANCE = /* GraphQL */ `
  query ($id: ID!, $metric: String, $aggregate: MetricAggregate) {
    project(id: $id) {
      importance(metric: $metric, aggregate: $aggregate) {
        metric
        aggregate
        metricKeys
        refusal
        runsAvailable
        runsUsed
        configurations
        minRuns
        minConfigurations
        explainedVariance
        paths {
          path
          share
          low
          high
          scale
          isSeed
        }
      }
    }
  }
`;

const series = (key: string, values: number[]) =>
  packSeries({ key, steps: values.map((_, i) => i), values, wallTimes: values.map((_, i) => 1_764_000_000_000 + i * 1000) });

for (const database of testDatabases()) {
  describe(`hyperparameter importance on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let bob: TestUser;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      bob = await api.user('bob@example.com', 'other');
    });
    afterAll(() => api?.close());

    /** An inferred project whose finished runs have these configurations and this accuracy (as a two-point series). */
    async function project(name: string, configs: Record<string, unknown>[], accuracy: (config: Record<string, any>) => number): Promise<string> {
      const projectId = (
        await alice.ok(`mutation($t: ID!, $n: String!) { createProject(teamId: $t, name: $n, schemaKind: INFERRED) { id } }`, { t: alice.teamId, n: name })
      ).createProject.id;
      const submitted = await alice.ok(`mutation($i: SubmitRunsInput!) { submitRuns(input: $i) { runs { run { id } } } }`, {
        i: { projectId, execution: 'EXTERNAL', runs: configs.map((config, i) => ({ name: `r${i}`, hparams: config })) },
      });
      const ids: string[] = submitted.submitRuns.runs.map((r: any) => r.run.id);
      await alice.ok(`mutation($input: FinishRunsInput!) { finishRuns(input: $input) { accepted } }`, {
        input: {
          runs: ids.map((runId, i) => ({
            runId,
            status: 'SUCCEEDED',
            metrics: [series('test.accuracy', [0.1, accuracy(configs[i]!)]), series('train.loss', [2, 1 - accuracy(configs[i]!)])],
          })),
        },
      });
      return projectId;
    }

    /** Batch size and learning rate on a grid, two seeds each; accuracy falls with batch size and with distance from lr 0.03. */
    const sweep = () =>
      [8, 32, 128, 512].flatMap((batchSize) => [0.001, 0.01, 0.1].flatMap((learningRate) => [1, 2].map((seed) => ({ batchSize, learningRate, seed }))));
    const sweepAccuracy = (c: Record<string, any>) =>
      0.97 - 0.03 * Math.log2(c.batchSize / 8) - 0.05 * Math.abs(Math.log10(c.learningRate) + 1.5) + (c.seed === 1 ? 0.002 : -0.002);

    let sweepProject: string;
    beforeAll(async () => {
      sweepProject = await project('sweep', sweep(), sweepAccuracy);
    });

    it('ranks batch size and learning rate above the seed, with intervals', async () => {
      const { importance } = (await alice.ok(IMPORTANCE, { id: sweepProject, metric: 'test.accuracy' })).project;
      expect(importance.refusal).toBeNull();
      expect(importance).toMatchObject({
        metric: 'test.accuracy',
        aggregate: 'LAST',
        runsAvailable: 24,
        runsUsed: 24,
        configurations: 12,
        minRuns: 20,
        minConfigurations: 8,
      });
      expect(importance.paths.map((p: any) => p.path)).toEqual(['batchSize', 'learningRate', 'seed']);
      const [batchSize, learningRate, seed] = importance.paths;
      expect(batchSize.share).toBeGreaterThan(0.5);
      expect(learningRate.scale).toBe('log');
      expect(seed).toMatchObject({ isSeed: true, low: 0 });
      expect(seed.share).toBeLessThan(0.05);
      for (const p of importance.paths) expect(p.low <= p.share && p.share <= p.high).toBe(true);
      // Each run's series is 0.1 then its accuracy, so MAX ranks the same values as LAST.
      const max = (await alice.ok(IMPORTANCE, { id: sweepProject, metric: 'test.accuracy', aggregate: 'MAX' })).project.importance;
      expect(max.aggregate).toBe('MAX');
      expect(max.paths[0].path).toBe('batchSize');
    });

    it('ranks by the oldest finding’s metric when none is named, else by the first metric logged', async () => {
      const own = await project('defaults', sweep(), sweepAccuracy);
      const before = (await alice.ok(IMPORTANCE, { id: own })).project.importance;
      expect(before).toMatchObject({ metric: 'test.accuracy', aggregate: 'LAST', metricKeys: ['test.accuracy', 'train.loss'], refusal: null });
      await alice.ok(`mutation($input: FindingInput!) { createFinding(input: $input) { id } }`, {
        input: { projectId: own, title: 'Small batches', rule: 'batchSize <= 32', metric: { key: 'train.loss', aggregate: 'MIN', direction: 'LOWER' } },
      });
      const after = (await alice.ok(IMPORTANCE, { id: own })).project.importance;
      expect(after).toMatchObject({ metric: 'train.loss', aggregate: 'MIN', refusal: null });
      expect(after.paths[0].path).toBe('batchSize');
    });

    it('refuses to rank on too few runs, saying how many it needs', async () => {
      const small = await project('small', sweep().slice(0, 10), sweepAccuracy);
      const { importance } = (await alice.ok(IMPORTANCE, { id: small, metric: 'test.accuracy' })).project;
      expect(importance.paths).toEqual([]);
      expect(importance.refusal).toBe(
        'Not enough runs to rank hyperparameters: 10 finished runs with a finite last(test.accuracy) in 5 configurations; importance needs at least 20 runs and 8 configurations (runs that differ only by seed are one configuration).',
      );
    });

    it('names the metrics the project has when asked about one it never logged', async () => {
      const result = await alice.request(IMPORTANCE, { id: sweepProject, metric: 'test.acc' });
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toBe('No run of this project logged a metric "test.acc"; its runs logged "test.accuracy", "train.loss"');
      const empty = await alice.request(IMPORTANCE, { id: sweepProject, metric: '  ' });
      expect(empty.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(empty.errors?.[0]?.message).toBe('Name the metric to rank hyperparameters by, e.g. test.accuracy');
    });

    it('refuses an aggregate that is not LAST, MIN or MAX', async () => {
      const result = await alice.request(IMPORTANCE, { id: sweepProject, metric: 'test.accuracy', aggregate: 'MEDIAN' });
      expect(result.errors?.[0]?.message).toContain('Value "MEDIAN" does not exist in "MetricAggregate" enum');
      expect(result.data).toBeUndefined();
    });

    it('refuses more than five importance computations in one request, before computing any', async () => {
      const aliased = (n: number) =>
        `query($id: ID!) { project(id: $id) { ${Array.from({ length: n }, (_, i) => `i${i}: importance(metric: "test.accuracy") { refusal }`).join(' ')} } }`;
      const five = await alice.request(aliased(5), { id: sweepProject });
      expect(five.errors).toBeUndefined();
      const six = await alice.request(aliased(6), { id: sweepProject });
      expect(six.status).toBe(400);
      expect(six.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    });

    const SUGGESTIONS = /* GraphQL */ `
      query ($id: ID!, $metric: FindingMetricInput!) {
        project(id: $id) {
          suggestedFindings(metric: $metric) {
            refusal
            candidatesTested
            configurations
            fdr
            suggestions {
              rule
              title
              statement
              difference
              qValue
              satisfying {
                configurations
                runs
              }
            }
          }
        }
      }
    `;

    it('suggests a batch-size threshold as a draft finding, and stops suggesting it once a finding states it', async () => {
      const own = await project('suggestions', sweep(), sweepAccuracy);
      const metric = { key: 'test.accuracy', direction: 'HIGHER' };
      const { suggestedFindings } = (await alice.ok(SUGGESTIONS, { id: own, metric })).project;
      expect(suggestedFindings).toMatchObject({ refusal: null, configurations: 12, fdr: 0.05 });
      const [draft] = suggestedFindings.suggestions;
      expect(draft.rule).toMatch(/^batchSize <= (8|32|128)$/);
      expect(draft.qValue).toBeLessThanOrEqual(0.05);
      expect(draft.difference).toBeGreaterThan(0);
      // Accepting a draft is creating the finding it describes.
      await alice.ok(`mutation($input: FindingInput!) { createFinding(input: $input) { id } }`, {
        input: { projectId: own, title: draft.title, statement: draft.statement, rule: draft.rule, metric },
      });
      const after = (await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings;
      expect(after.suggestions.map((s: any) => s.rule)).not.toContain(draft.rule);
    });

    const CREATE = `mutation($input: FindingInput!) { createFinding(input: $input) { id rule scope } }`;
    const FINDING_COUNT = `query($p: ID!) { findings(projectId: $p) { id } }`;

    it('records an edited suggestion as any finding is validated; the draft it came from is then no longer proposed', async () => {
      const own = await project('edited suggestion', sweep(), sweepAccuracy);
      const metric = { key: 'test.accuracy', direction: 'HIGHER' };
      const [draft] = (await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings.suggestions;
      const fromSuggestion = { metric: 'test.accuracy', rule: draft.rule };
      const input = {
        projectId: own,
        title: 'Small batches',
        statement: draft.statement,
        rule: 'batchSize <= 16 and learningRate >= 0.001',
        metric,
        fromSuggestion,
      };
      // The edited finding is checked as any new one: a bad rule is refused with createFinding's own message.
      const plain = await alice.request(CREATE, { input: { ...input, rule: 'batchSize <=', fromSuggestion: undefined } });
      const bad = await alice.request(CREATE, { input: { ...input, rule: 'batchSize <=' } });
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.errors?.[0]?.message).toBe(plain.errors?.[0]?.message);
      // A bad reference to the suggestion refuses the whole finding.
      const badReference = await alice.request(CREATE, { input: { ...input, fromSuggestion: { metric: 'test.accuracy', rule: 'batchSize <' } } });
      expect(badReference.errors?.[0]?.message).toMatch(/^The suggestion's rule does not parse: /);
      expect(badReference.errors?.[0]?.extensions?.problems?.[0]?.path).toBe('fromSuggestion.rule');
      const badScope = await alice.request(CREATE, { input: { ...input, fromSuggestion: { ...fromSuggestion, scope: 'optimizer =' } } });
      expect(badScope.errors?.[0]?.message).toMatch(/^The suggestion's scope does not parse: /);
      const noMetric = await alice.request(CREATE, { input: { ...input, fromSuggestion: { ...fromSuggestion, metric: '' } } });
      expect(noMetric.errors?.[0]?.message).toBe('Name the metric the suggestion was for');
      expect((await alice.ok(FINDING_COUNT, { p: own })).findings).toEqual([]);
      expect((await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings.suggestions.map((s: any) => s.rule)).toContain(draft.rule);
      // A viewer cannot record one, nor another team.
      const viewer = await api.user('vic@example.com', 'vision', 'viewer');
      expect((await viewer.request(CREATE, { input })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await bob.request(CREATE, { input })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

      const created = (await alice.ok(CREATE, { input })).createFinding;
      expect(created.rule).toBe('batchSize <= 16 and learningRate >= 0.001');
      const after = (await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings.suggestions;
      expect(after.map((s: any) => s.rule)).not.toContain(draft.rule);
      // Edited, the draft was dismissed: retiring the finding does not bring it back.
      await alice.ok(`mutation($id: ID!) { retireFinding(id: $id) { id } }`, { id: created.id });
      const retired = (await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings.suggestions;
      expect(retired.map((s: any) => s.rule)).not.toContain(draft.rule);
    });

    it('records an unedited suggestion without dismissing it: it is left out while the finding stating it is active', async () => {
      const own = await project('unedited suggestion', sweep(), sweepAccuracy);
      const metric = { key: 'test.accuracy', direction: 'HIGHER' };
      const [draft] = (await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings.suggestions;
      const created = (
        await alice.ok(CREATE, {
          input: {
            projectId: own,
            title: draft.title,
            rule: draft.rule.replaceAll(' ', ''),
            metric,
            fromSuggestion: { metric: 'test.accuracy', rule: draft.rule },
          },
        })
      ).createFinding;
      expect((await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings.suggestions.map((s: any) => s.rule)).not.toContain(draft.rule);
      await alice.ok(`mutation($id: ID!) { retireFinding(id: $id) { id } }`, { id: created.id });
      expect((await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings.suggestions.map((s: any) => s.rule)).toContain(draft.rule);
    });

    it('suggests a rule scoped to the level of another path where it holds; recorded or dismissed, it is no longer proposed', async () => {
      const configs = [8, 16, 32, 64, 128, 256].flatMap((batchSize) =>
        ['sgd', 'adam'].flatMap((optimizer) => [0.01, 0.03, 0.1].map((learningRate) => ({ batchSize, optimizer, learningRate }))),
      );
      // Batch size matters with sgd only.
      const own = await project('interaction', configs, (c) => (c.optimizer === 'sgd' ? 0.95 - 0.03 * Math.log2(c.batchSize / 8) : 0.9) + c.learningRate / 100);
      const SCOPED = `query($id: ID!, $metric: FindingMetricInput!) { project(id: $id) { suggestedFindings(metric: $metric) {
        candidatesTested scopedCandidatesTested suggestions { rule scope title outsideDifference difference } } } }`;
      const metric = { key: 'test.accuracy', direction: 'HIGHER' };
      const result = (await alice.ok(SCOPED, { id: own, metric })).project.suggestedFindings;
      expect(result.scopedCandidatesTested).toBeGreaterThan(0);
      const scoped = result.suggestions.filter((s: any) => s.scope !== '');
      expect(scoped.map((s: any) => s.scope)).toEqual(['optimizer = "sgd"']);
      const [draft] = scoped;
      expect(draft.rule).toMatch(/^batchSize <= /);
      expect(draft.outsideDifference).toBeLessThan(draft.difference / 4);
      // An unscoped finding with the same rule does not answer the scoped draft; one in its scope does.
      const recorded = (
        await alice.ok(CREATE, {
          input: {
            projectId: own,
            title: draft.title,
            rule: draft.rule,
            scope: draft.scope,
            metric,
            fromSuggestion: { metric: 'test.accuracy', rule: draft.rule, scope: draft.scope },
          },
        })
      ).createFinding;
      expect(recorded.scope).toBe('optimizer = "sgd"');
      const after = (await alice.ok(SCOPED, { id: own, metric })).project.suggestedFindings.suggestions;
      expect(after.filter((s: any) => s.scope === draft.scope && s.rule === draft.rule)).toEqual([]);

      // For the loss, the same interaction: dismissed with its scope, it is no longer proposed; a bad scope is refused.
      const loss = { key: 'train.loss', direction: 'LOWER' };
      const [lossDraft] = (await alice.ok(SCOPED, { id: own, metric: loss })).project.suggestedFindings.suggestions.filter((s: any) => s.scope !== '');
      const SCOPED_DISMISS = `mutation($p: ID!, $m: String!, $r: String!, $s: String) { dismissSuggestedFinding(projectId: $p, metric: $m, rule: $r, scope: $s) }`;
      const badScope = await alice.request(SCOPED_DISMISS, { p: own, m: 'train.loss', r: lossDraft.rule, s: 'optimizer =' });
      expect(badScope.errors?.[0]?.message).toMatch(/^The suggestion's scope does not parse: /);
      // Dismissing the unscoped rule leaves the scoped draft.
      await alice.ok(SCOPED_DISMISS, { p: own, m: 'train.loss', r: lossDraft.rule });
      let left = (await alice.ok(SCOPED, { id: own, metric: loss })).project.suggestedFindings.suggestions;
      expect(left.filter((s: any) => s.scope === lossDraft.scope && s.rule === lossDraft.rule)).toHaveLength(1);
      await alice.ok(SCOPED_DISMISS, { p: own, m: 'train.loss', r: lossDraft.rule, s: lossDraft.scope });
      left = (await alice.ok(SCOPED, { id: own, metric: loss })).project.suggestedFindings.suggestions;
      expect(left.filter((s: any) => s.scope === lossDraft.scope && s.rule === lossDraft.rule)).toEqual([]);
    });

    it('refuses suggestions for a metric never logged, and says when there are too few configurations', async () => {
      const unknown = await alice.request(SUGGESTIONS, { id: sweepProject, metric: { key: 'test.acc', direction: 'HIGHER' } });
      expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(unknown.errors?.[0]?.message).toBe('No run of this project logged a metric "test.acc"; its runs logged "test.accuracy", "train.loss"');
      const small = await project('few configurations', sweep().slice(0, 8), sweepAccuracy);
      const few = (await alice.ok(SUGGESTIONS, { id: small, metric: { key: 'test.accuracy', direction: 'HIGHER' } })).project.suggestedFindings;
      expect(few.suggestions).toEqual([]);
      expect(few.refusal).toBe('Not enough configurations to suggest findings: 4 with a finite last(test.accuracy); a rule needs 3 on each side.');
      const foreign = await bob.request(SUGGESTIONS, { id: sweepProject, metric: { key: 'test.accuracy', direction: 'HIGHER' } });
      expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    const DISMISS = `mutation($p: ID!, $m: String!, $r: String!) { dismissSuggestedFinding(projectId: $p, metric: $m, rule: $r) }`;

    it('remembers a dismissed suggestion for its metric; viewers and other teams cannot dismiss, and a bad rule is refused', async () => {
      const own = await project('dismissals', sweep(), sweepAccuracy);
      const metric = { key: 'test.accuracy', direction: 'HIGHER' };
      const [draft] = (await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings.suggestions;
      // Written without spaces: dismissed by meaning, not by spelling.
      expect((await alice.ok(DISMISS, { p: own, m: 'test.accuracy', r: draft.rule.replaceAll(' ', '') })).dismissSuggestedFinding).toBe(true);
      expect((await alice.ok(DISMISS, { p: own, m: 'test.accuracy', r: draft.rule })).dismissSuggestedFinding).toBe(true);
      const after = (await alice.ok(SUGGESTIONS, { id: own, metric })).project.suggestedFindings.suggestions;
      expect(after.map((s: any) => s.rule)).not.toContain(draft.rule);
      // Another metric is another question: the rule may still be suggested for it.
      const loss = (await alice.ok(SUGGESTIONS, { id: own, metric: { key: 'train.loss', direction: 'LOWER' } })).project.suggestedFindings.suggestions;
      expect(loss.map((s: any) => s.rule)).toContain(draft.rule);

      const viewer = await api.user('vera@example.com', 'vision', 'viewer');
      const refused = await viewer.request(DISMISS, { p: own, m: 'test.accuracy', r: 'batchSize <= 8' });
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const foreign = await bob.request(DISMISS, { p: own, m: 'test.accuracy', r: 'batchSize <= 8' });
      expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const bad = await alice.request(DISMISS, { p: own, m: 'test.accuracy', r: 'batchSize <=' });
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.errors?.[0]?.message).toMatch(/^The suggestion's rule does not parse: /);
      const empty = await alice.request(DISMISS, { p: own, m: 'test.accuracy', r: '' });
      expect(empty.errors?.[0]?.message).toBe("The suggestion's rule does not parse: it is empty");
      const long = await alice.request(DISMISS, { p: own, m: 'test.accuracy', r: 'x'.repeat(1001) });
      expect(long.errors?.[0]?.message).toBe("A suggestion's rule has at most 1000 characters");
      const noMetric = await alice.request(DISMISS, { p: own, m: ' ', r: 'batchSize <= 8' });
      expect(noMetric.errors?.[0]?.message).toBe('Name the metric the suggestion was for');
    });

    it('answers another team exactly as for a project that does not exist', async () => {
      const foreign = await bob.request(IMPORTANCE, { id: sweepProject, metric: 'test.accuracy' });
      expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(foreign.errors?.[0]?.message).toBe(`Project ${sweepProject} was not found`);
      expect(foreign.data?.project ?? null).toBeNull();
      const unknown = await alice.request(IMPORTANCE, { id: '00000000-0000-4000-8000-000000000000', metric: 'test.accuracy' });
      expect(unknown.errors?.[0]?.message).toBe('Project 00000000-0000-4000-8000-000000000000 was not found');
    });
  });
}
