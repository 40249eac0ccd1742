// The benchmarks' project: many queued runs with varied hyperparameters and a few metric points each, and full
// curves for the first few (the ones compared).
import type { Stack } from '../test/stack';

const SUBMITS_PER_REQUEST = 100;

export async function seedBenchProject(
  stack: Stack,
  { runs: RUN_COUNT, compared: COMPARE_COUNT, comparedSteps: COMPARE_STEPS }: { runs: number; compared: number; comparedSteps: number },
): Promise<{ projectId: string; runIds: string[] }> {
  const started = performance.now();
  const { createProject } = await stack.gql<{ createProject: { id: string } }>('mutation($team: ID!) { createProject(teamId: $team, name: "bench") { id } }', {
    team: stack.teamId,
  });
  const projectId = createProject.id;
  const runIds: string[] = [];
  let random = 42;
  const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let offset = 0; offset < RUN_COUNT; offset += SUBMITS_PER_REQUEST) {
    const count = Math.min(SUBMITS_PER_REQUEST, RUN_COUNT - offset);
    const inputs = Array.from({ length: count }, (_, i) => ({
      projectId,
      execution: 'EXTERNAL',
      tags: (offset + i) % 10 === 0 ? ['baseline'] : ['sweep'],
      hparams: {
        dataset: { name: 'spirals', trainSize: 2000, testSize: 500 },
        model: { kind: 'mlp', hiddenLayers: [16 * (1 + Math.floor(next() * 8))] },
        optimizer: next() < 0.5 ? { name: 'adam', learningRate: 10 ** (-4 + 3 * next()) } : { name: 'sgd', learningRate: 10 ** (-3 + 3 * next()) },
        batchSize: [16, 32, 64, 128][Math.floor(next() * 4)],
        epochs: 5,
      },
    }));
    const mutation = `mutation(${inputs.map((_, i) => `$i${i}: SubmitRunInput!`).join(', ')}) { ${inputs
      .map((_, i) => `r${i}: submitRun(input: $i${i}) { run { id } }`)
      .join(' ')} }`;
    const data = await stack.gql<Record<string, { run: { id: string } }>>(mutation, Object.fromEntries(inputs.map((input, i) => [`i${i}`, input])));
    const ids = inputs.map((_, i) => data[`r${i}`]!.run.id);
    runIds.push(...ids);
    // Summary metrics for the table's metric columns.
    const logs = ids.map(
      (id, i) =>
        `m${i}: logMetrics(runId: "${id}", series: [{ key: "test.accuracy", steps: [0, 1, 2], values: [${[0.5, 0.6 + next() * 0.1, 0.7 + next() * 0.25].join(', ')}] }, { key: "train.loss", steps: [0, 1, 2], values: [2.3, ${1 + next()}, ${next()}] }]) { accepted }`,
    );
    await stack.gql(`mutation { ${logs.join(' ')} }`);
  }
  for (const id of runIds.slice(0, COMPARE_COUNT)) {
    const steps = Array.from({ length: COMPARE_STEPS }, (_, i) => i);
    const scale = 0.5 + next();
    await stack.gql('mutation($r: ID!, $s: [MetricSeriesInput!]) { logMetrics(runId: $r, series: $s) { accepted } }', {
      r: id,
      s: [
        { key: 'train.loss', steps, values: steps.map((s) => 2.3 * Math.exp(-s / (1500 * scale)) + 0.1 * next()) },
        {
          key: 'test.accuracy',
          steps: steps.filter((s) => s % 500 === 0),
          values: steps.filter((s) => s % 500 === 0).map((s) => 1 - Math.exp(-s / 2000) * scale * 0.5),
        },
      ],
    });
  }
  console.error(`seeded ${RUN_COUNT} runs in ${Math.round((performance.now() - started) / 1000)} s`);
  return { projectId, runIds };
}
