import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, LOG_METRICS, MLP_CONFIG, startWithProject, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const CREATE_FINDING = `mutation($input: FindingInput!) { createFinding(input: $input) { id status rule scope ruleParams severity } }`;
const FINDING = `query($id: ID!) {
  finding(id: $id) {
    status
    evidence {
      status verdict difference notFinished minRunsPerGroup
      interval { low high level }
      satisfying { runCount median best { run { name } value } }
      violating { runCount median excludedNonFinite }
      contestingRuns { name }
      confounders { path satisfying violating }
      points { side value cited run { name } ruleParams }
    }
    history { kind actor { email } changes }
    comments { body author { email } }
  }
}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const database of testDatabases()) {
  describe(`findings on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let projectId: string;

    beforeAll(async () => {
      ({ api, alice, projectId } = await startWithProject(database, 'batch-study'));
    });
    afterAll(() => api?.close());

    /** A run that "trained" with this batch size and learning rate and reached this accuracy. */
    async function finishedRun(
      batchSize: number,
      accuracy: number | 'NaN',
      options: { lr?: number; status?: string; name?: string; seed?: number; project?: string } = {},
    ) {
      const hparams = { ...MLP_CONFIG, batchSize, optimizer: { name: 'adam', learningRate: options.lr ?? 0.001 }, seed: options.seed ?? 0 };
      const { submitRun } = await alice.ok(SUBMIT_RUN, {
        input: {
          projectId: options.project ?? projectId,
          hparams,
          execution: 'EXTERNAL',
          name: options.name ?? `bs${batchSize}`,
          overrideReason: 'test fixture',
        },
      });
      await alice.ok(LOG_METRICS, { runId: submitRun.run.id, points: [{ key: 'test.accuracy', step: 0, value: accuracy }] });
      await alice.ok(`mutation($i: SetRunStatusInput!) { setRunStatus(input: $i) { status } }`, {
        i: { runId: submitRun.run.id, status: options.status ?? 'SUCCEEDED' },
      });
      return submitRun.run.id as string;
    }

    async function waitForStatus(findingId: string, status: string) {
      for (let i = 0; i < 100; i++) {
        const { finding } = await alice.ok(FINDING, { id: findingId });
        if (finding.status === status) return finding;
        await sleep(100);
      }
      throw new Error(`finding never became ${status}`);
    }

    it('refuses a rule that does not parse or names no hyperparameter, with where and why', async () => {
      const bad = await alice.request(CREATE_FINDING, {
        input: { projectId, title: 'x', rule: 'batchsize <= 32', metric: { key: 'test.accuracy', direction: 'HIGHER' } },
      });
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.errors?.[0]?.message).toContain('did you mean "batchSize"');
      const noParam = await alice.request(CREATE_FINDING, {
        input: { projectId, title: 'x', rule: 'status = "succeeded"', metric: { key: 'test.accuracy', direction: 'HIGHER' } },
      });
      expect(noParam.errors?.[0]?.message).toBe('A rule must test at least one hyperparameter (e.g. batchSize <= 32), not only run fields or metrics');
    });

    it('moves from proposed to supported as evidence lands, then to contested, recording each change', async () => {
      const cited = await finishedRun(8, 0.97);
      const created = await alice.ok(CREATE_FINDING, {
        input: {
          projectId,
          title: 'Keep batch size ≤ 32',
          statement: 'Small batches generalise better for our MNIST MLPs.',
          rule: 'batchSize<=32',
          scope: 'dataset.name = "mnist"',
          metric: { key: 'test.accuracy', direction: 'HIGHER' },
          citedRunIds: [cited],
        },
      });
      expect(created.createFinding).toMatchObject({
        status: 'PROPOSED',
        rule: 'batchSize <= 32',
        scope: 'dataset.name = "mnist"',
        ruleParams: ['batchSize'],
        severity: 'ADVICE',
      });
      const id = created.createFinding.id;

      await finishedRun(16, 0.96);
      await finishedRun(32, 0.95);
      await finishedRun(64, 0.92, { lr: 0.01 });
      await finishedRun(128, 0.91, { lr: 0.01 });
      await finishedRun(256, 0.9, { lr: 0.01 });
      await finishedRun(512, 'NaN', { status: 'DIVERGED' }); // excluded from the groups, and counted
      const supported = await waitForStatus(id, 'SUPPORTED');
      expect(supported.evidence).toMatchObject({
        status: 'SUPPORTED',
        satisfying: { runCount: 3, median: 0.96, best: { run: { name: 'bs8' }, value: 0.97 } },
        violating: { runCount: 3, median: 0.91, excludedNonFinite: 1 },
        contestingRuns: [],
        minRunsPerGroup: 3,
      });
      expect(supported.evidence.difference).toBeCloseTo(0.05, 10);
      expect(supported.evidence.interval.low).toBeGreaterThan(0);
      expect(supported.evidence.verdict).toMatch(/^Supported\. Runs with batchSize <= 32 have a mean last\(test\.accuracy\) of 0\.96 against 0\.91/);
      expect(supported.evidence.confounders[0]).toMatchObject({ path: 'optimizer.learningRate', satisfying: 'median 0.001', violating: 'median 0.01' });
      expect(supported.evidence.points.find((p: { cited: boolean }) => p.cited)).toMatchObject({
        side: 'SATISFYING',
        run: { name: 'bs8' },
        ruleParams: { batchSize: 8 },
      });

      await finishedRun(768, 0.99, { name: 'big-batch-champion' });
      const contested = await waitForStatus(id, 'CONTESTED');
      expect(contested.evidence.contestingRuns).toEqual([{ name: 'big-batch-champion' }]);
      expect(contested.evidence.verdict).toMatch(/^Contested: 1 violating run beats the best satisfying run \(0\.97\)/);
      expect(contested.history.map((h: { kind: string; changes: { to?: string } }) => [h.kind, h.changes.to ?? null])).toEqual([
        ['created', null],
        ['status_changed', 'supported'],
        ['status_changed', 'contested'],
      ]);
      expect(contested.history[0].actor).toEqual({ email: 'alice@example.com' });
      expect(contested.history[1].actor).toBeNull(); // Tuneboard re-checked it

      await alice.ok(`mutation($id: ID!) { commentOnFinding(findingId: $id, body: "Was the champion run's lr tuned separately?") { id } }`, { id });
      await alice.ok(`mutation($id: ID!) { retireFinding(id: $id, reason: "contested by bigger sweeps") { status } }`, { id });
      const retired = (await alice.ok(FINDING, { id })).finding;
      expect(retired.status).toBe('RETIRED');
      expect(retired.comments).toEqual([{ body: "Was the champion run's lr tuned separately?", author: { email: 'alice@example.com' } }]);
      expect(retired.history.map((h: { kind: string }) => h.kind).slice(-2)).toEqual(['commented', 'retired']);
      // A retired finding stays retired whatever runs land.
      await finishedRun(8, 0.98);
      await sleep(600);
      expect((await alice.ok(FINDING, { id })).finding.status).toBe('RETIRED');
    });

    it('warns about a violating submission, and a policy refuses it without an override reason', async () => {
      const project = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'policies' })).createProject.id;
      const advice = await alice.ok(CREATE_FINDING, {
        input: {
          projectId: project,
          title: 'Adam above 3e-3 is unstable',
          rule: 'optimizer.learningRate <= 3e-3',
          scope: 'optimizer.name = "adam"',
          metric: { key: 'test.accuracy', direction: 'HIGHER' },
        },
      });
      await alice.ok(CREATE_FINDING, {
        input: {
          projectId: project,
          title: 'Batch size a power of two',
          rule: 'batchSize in [8, 16, 32, 64, 128, 256]',
          metric: { key: 'test.accuracy', direction: 'HIGHER' },
          severity: 'POLICY',
        },
      });

      const fine = await alice.ok(SUBMIT_RUN, { input: { projectId: project, hparams: MLP_CONFIG } });
      expect(fine.submitRun.warnings).toEqual([]);

      const risky = { ...MLP_CONFIG, optimizer: { name: 'adam', learningRate: 0.01 } };
      const warned = await alice.ok(
        `mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id } warnings { code message finding { id title } } } }`,
        { input: { projectId: project, hparams: risky } },
      );
      expect(warned.submitRun.warnings).toHaveLength(1);
      expect(warned.submitRun.warnings[0]).toMatchObject({
        code: 'FINDING_VIOLATED',
        finding: { id: advice.createFinding.id, title: 'Adam above 3e-3 is unstable' },
      });
      expect(warned.submitRun.warnings[0].message).toContain(
        'This run (optimizer.learningRate = 0.01) breaks the finding "Adam above 3e-3 is unstable" (optimizer.learningRate <= 0.003; proposed).',
      );

      // Out of the advice's scope (sgd), so only the policy speaks.
      const odd = { ...MLP_CONFIG, batchSize: 48, optimizer: { name: 'sgd', learningRate: 0.1 } };
      const refused = await alice.request(SUBMIT_RUN, { input: { projectId: project, hparams: odd } });
      expect(refused.data).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('POLICY_VIOLATION');
      expect(refused.errors?.[0]?.message).toContain('"Batch size a power of two" (batchSize in [8, 16, 32, 64, 128, 256])');
      const before = await alice.ok(`query($p: ID!) { runs(projectId: $p) { totalCount } }`, { p: project });

      const CHECK_FIELDS = `checkRun(input: $input) { needsOverride problems { path message } warnings { code message finding { id title severity } } }`;
      const check = await alice.ok(`query($input: SubmitRunInput!) { ${CHECK_FIELDS} }`, { input: { projectId: project, hparams: odd } });
      expect(check.checkRun).toMatchObject({
        needsOverride: true,
        problems: [],
        warnings: [{ code: 'POLICY_OVERRIDDEN', finding: { title: 'Batch size a power of two', severity: 'POLICY' } }],
      });
      expect(check.checkRun.warnings[0].message).toContain('batchSize = 48');
      const checkBad = await alice.ok(`query($input: SubmitRunInput!) { ${CHECK_FIELDS} }`, {
        input: { projectId: project, hparams: { ...odd, batchSize: 0 } },
      });
      expect(checkBad.checkRun.problems).toEqual([{ path: 'hparams.batchSize', message: expect.any(String) }]);
      // The deprecated mutation, kept for one release, answers exactly as the query does.
      for (const hparams of [odd, { ...odd, batchSize: 0 }, risky]) {
        const asQuery = await alice.ok(`query($input: SubmitRunInput!) { ${CHECK_FIELDS} }`, { input: { projectId: project, hparams } });
        const asMutation = await alice.ok(`mutation($input: SubmitRunInput!) { ${CHECK_FIELDS} }`, { input: { projectId: project, hparams } });
        expect(asMutation.checkRun).toEqual(asQuery.checkRun);
      }
      expect((await alice.ok(`query($p: ID!) { runs(projectId: $p) { totalCount } }`, { p: project })).runs.totalCount).toBe(before.runs.totalCount);

      const overridden = await alice.ok(
        `mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id policyOverride } warnings { code message } } }`,
        {
          input: { projectId: project, hparams: odd, overrideReason: 'checking whether 48 fits the GPU better' },
        },
      );
      expect(overridden.submitRun.warnings[0].code).toBe('POLICY_OVERRIDDEN');
      expect(overridden.submitRun.warnings[0].message).toContain('Overridden: checking whether 48 fits the GPU better');
      expect(overridden.submitRun.run.policyOverride).toMatchObject({ reason: 'checking whether 48 fits the GPU better', findingIds: [expect.any(String)] });

      const checks = await alice.ok(`query($id: ID!) { run(id: $id) { findings { follows finding { title } } } }`, { id: overridden.submitRun.run.id });
      expect(checks.run.findings).toEqual([{ follows: false, finding: { title: 'Batch size a power of two' } }]);
    });

    it('records what an edit changed, replaces citations only when they differ, and announces each change live', async () => {
      const first = await finishedRun(4, 0.9, { name: 'edit-a' });
      const second = await finishedRun(6, 0.9, { name: 'edit-b' });
      const created = await alice.ok(CREATE_FINDING, {
        input: { projectId, title: 'Edit me', rule: 'batchSize <= 8', metric: { key: 'test.accuracy', direction: 'HIGHER' }, citedRunIds: [first] },
      });
      const id = created.createFinding.id;
      const client = alice.subscribe();
      const live: { kind: string; id: string }[] = [];
      const unsubscribe = client.subscribe(
        { query: 'subscription($p: ID!) { findingEvents(projectId: $p) { kind finding { id } } }', variables: { p: projectId } },
        {
          next: (message) => live.push({ kind: (message.data as any).findingEvents.kind, id: (message.data as any).findingEvents.finding.id }),
          error: () => {},
          complete: () => {},
        },
      );
      try {
        const UPDATE = `mutation($input: UpdateFindingInput!) { updateFinding(input: $input) { rule severity citedRuns { name } history { kind changes } } }`;
        // graphql-ws does not acknowledge a subscribe: comment until the subscription sees one.
        for (let i = 0; !live.some((e) => e.kind === 'commented'); i++) {
          if (i > 50) throw new Error('the findingEvents subscription never delivered an event');
          await alice.ok(`mutation($id: ID!) { commentOnFinding(findingId: $id, body: "probe") { id } }`, { id });
          await sleep(100);
        }
        const edited = await alice.ok(UPDATE, { input: { id, rule: 'batchSize<=16', severity: 'POLICY', citedRunIds: [second, first] } });
        expect(edited.updateFinding).toMatchObject({ rule: 'batchSize <= 16', severity: 'POLICY' });
        expect(edited.updateFinding.citedRuns.map((r: { name: string }) => r.name).sort()).toEqual(['edit-a', 'edit-b']);
        const update = edited.updateFinding.history.find((h: { kind: string }) => h.kind === 'updated');
        expect(update.changes).toEqual({
          rule: { from: 'batchSize <= 8', to: 'batchSize <= 16' },
          severity: { from: 'advice', to: 'policy' },
          citedRunIds: { from: [first], to: [second, first] },
        });
        // The same citations in another order, and nothing else: no change to record.
        const again = await alice.ok(UPDATE, { input: { id, citedRunIds: [first, second] } });
        expect(again.updateFinding.history.filter((h: { kind: string }) => h.kind === 'updated')).toHaveLength(1);
        const notFound = await alice.request(UPDATE, { input: { id, citedRunIds: ['00000000-0000-4000-8000-000000000000'] } });
        expect(notFound.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        for (let i = 0; !live.some((e) => e.kind === 'updated'); i++) {
          if (i > 50) throw new Error('the update was never announced');
          await sleep(100);
        }
        expect(live.every((e) => e.id === id)).toBe(true);
      } finally {
        unsubscribe();
        await client.dispose();
      }
    });

    it("a team-shared finding warns in the team's other projects; another team never sees it", async () => {
      const home = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'shared-home' })).createProject.id;
      const other = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'shared-other' })).createProject.id;
      const shared = await alice.ok(CREATE_FINDING, {
        input: {
          projectId: home,
          title: 'No giant batches',
          rule: 'batchSize <= 256',
          metric: { key: 'test.accuracy', direction: 'HIGHER' },
          sharedWithTeam: true,
        },
      });
      const warned = await alice.ok(SUBMIT_RUN, { input: { projectId: other, hparams: { ...MLP_CONFIG, batchSize: 512 } } });
      expect(warned.submitRun.warnings.map((w: { message: string }) => w.message)).toEqual([expect.stringContaining('"No giant batches"')]);

      const bob = await api.user('bob@b.io', 'other-team');
      const bobProject = (await bob.ok(CREATE_PROJECT, { teamId: bob.teamId, name: 'mine' })).createProject.id;
      expect((await bob.ok(SUBMIT_RUN, { input: { projectId: bobProject, hparams: { ...MLP_CONFIG, batchSize: 512 } } })).submitRun.warnings).toEqual([]);
      const id = shared.createFinding.id;
      const read = await bob.request(`query($id: ID!) { finding(id: $id) { title } }`, { id });
      expect(read.errors?.[0]).toMatchObject({ message: `Finding ${id} was not found`, extensions: { code: 'NOT_FOUND' } });
      expect((await bob.request(`mutation($id: ID!) { commentOnFinding(findingId: $id, body: "hi") { id } }`, { id })).errors?.[0]?.extensions?.code).toBe(
        'NOT_FOUND',
      );
      expect((await bob.request(`query($p: ID!) { findings(projectId: $p) { id } }`, { p: home })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await bob.request(`query($t: ID!) { findingFeed(teamId: $t) { id } }`, { t: alice.teamId })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(
        (await bob.request(CREATE_FINDING, { input: { projectId: home, title: 'x', rule: 'batchSize <= 1', metric: { key: 'a', direction: 'HIGHER' } } }))
          .errors?.[0]?.extensions?.code,
      ).toBe('NOT_FOUND');

      const feed = await alice.ok(`query($t: ID!) { findingFeed(teamId: $t, first: 3) { kind finding { title } } }`, { t: alice.teamId });
      expect(feed.findingFeed[0]).toEqual({ kind: 'created', finding: { title: 'No giant batches' } });
    });

    // Last: its runs belong to the team, so they would count towards the team-shared finding above.
    it('counts configurations and runs per side, merges duplicates, and compares like with like', async () => {
      const project = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'lr-grid' })).createProject.id;
      // Every batch size does best at the largest learning rate tried; within a learning rate, small batches lead by 0.03.
      const accuracy = (batchSize: number, lr: number, seed: number) => 0.8 + lr - batchSize / 10000 + seed / 1000;
      for (const batchSize of [8, 32, 128, 512])
        for (const lr of [0.01, 0.03, 0.1])
          for (const seed of [1, 2])
            await finishedRun(batchSize, accuracy(batchSize, lr, seed), { lr, seed, project, name: `bs${batchSize}-lr${lr}-s${seed}` });
      await finishedRun(8, accuracy(8, 0.1, 1), { lr: 0.1, seed: 1, project, name: 'rerun' }); // a duplicate: counted once
      const { createFinding } = await alice.ok(CREATE_FINDING, {
        input: { projectId: project, title: 'Small batches', rule: 'batchSize <= 32', metric: { key: 'test.accuracy', direction: 'HIGHER' } },
      });
      // The pooled interval includes zero (below), so the re-check contests it; waiting also keeps its event out of later tests' feeds.
      await waitForStatus(createFinding.id, 'CONTESTED');
      const { finding } = await alice.ok(
        `query($id: ID!) { finding(id: $id) { evidence {
          verdict minConfigurationsPerGroup minRunsPerGroup difference interval { low high }
          satisfying { configurationCount runCount duplicateRuns }
          violating { configurationCount runCount duplicateRuns }
          stratified { difference interval { low high } strataCompared strataOneSided satisfying { configurationCount runCount } violating { configurationCount runCount } disagreement }
          bestPerGroup { difference interval { low high } disagreement groups { label side value setting configurationCount runCount runs { name } } }
          edgeOfRange { path edge value message }
          points { experiment run { name } }
        } } }`,
        { id: createFinding.id },
      );
      const evidence = finding.evidence;
      // The rerun shares its point's experiment number (the chart draws them as one); every other run has its own.
      const experimentOf = (name: string) => evidence.points.find((p: any) => p.run.name === name).experiment;
      expect(experimentOf('rerun')).toBe(experimentOf('bs8-lr0.1-s1'));
      expect(new Set(evidence.points.map((p: any) => p.experiment)).size).toBe(24);
      expect(evidence).toMatchObject({
        minConfigurationsPerGroup: 3,
        minRunsPerGroup: 3,
        satisfying: { configurationCount: 6, runCount: 12, duplicateRuns: 1 },
        violating: { configurationCount: 6, runCount: 12, duplicateRuns: 0 },
      });
      expect(evidence.verdict).toContain('6 configurations (12 runs) vs 6 configurations (12 runs)');
      expect(evidence.verdict).toContain('Counted once: 1 duplicate run (same configuration and seed as another run; their values averaged).');
      // Pooled: (128 + 512 − 8 − 32) / 2 / 10000 = 0.03, but the learning rates' spread swamps it.
      expect(evidence.difference).toBeCloseTo(0.03, 10);
      expect(evidence.interval.low).toBeLessThan(0);
      // Stratified by learning rate: 0.03 in each of the three strata, and the interval excludes zero.
      expect(evidence.stratified).toMatchObject({
        strataCompared: 3,
        strataOneSided: 0,
        satisfying: { configurationCount: 6, runCount: 12 },
        violating: { configurationCount: 6, runCount: 12 },
      });
      expect(evidence.stratified.difference).toBeCloseTo(0.03, 10);
      expect(evidence.stratified.interval.low).toBeGreaterThan(0);
      expect(evidence.stratified.disagreement).toMatch(
        /^Simpson's paradox warning: .* the stratified comparison's interval excludes zero, the pooled comparison's does not\.$/,
      );
      // Best learning rate per batch size: lr 0.1 each time, seeds averaged.
      expect(evidence.bestPerGroup.difference).toBeCloseTo(0.03, 10);
      expect(evidence.bestPerGroup.groups.map((g: { label: string }) => g.label)).toEqual([
        'batchSize = 8',
        'batchSize = 32',
        'batchSize = 128',
        'batchSize = 512',
      ]);
      expect(evidence.bestPerGroup.groups[0]).toMatchObject({
        side: 'SATISFYING',
        setting: 'optimizer.learningRate = 0.1',
        configurationCount: 3,
        runCount: 6,
      });
      expect(evidence.bestPerGroup.groups[0].value).toBeCloseTo(accuracy(8, 0.1, 1.5), 10);
      expect(evidence.bestPerGroup.groups[0].runs.map((r: { name: string }) => r.name).sort()).toEqual(['bs8-lr0.1-s1', 'bs8-lr0.1-s2', 'rerun']);
      expect(evidence.edgeOfRange).toEqual([
        {
          path: 'optimizer.learningRate',
          edge: 'MAX',
          value: 0.1,
          message: 'The best optimizer.learningRate is the largest tried (0.1) for every batchSize: explore further before trusting this.',
        },
      ]);
    });
  });
}
