'use client';
// The form's side panel: what the configuration implies, computed by packages/hparams as it is typed.
import { deriveFacts, learningRateCurve, plannedSteps, rangeTestCurve, type RunConfig } from '@tuneboard/hparams';
import { useMemo } from 'react';
import { Chart } from '@/charts/chart';
import { buildLineChartOption } from '@/charts/chart-options';
import { formatMetric } from '@/lib/metric-value';

/** What the configuration implies, live: parameter count, layer shapes and the learning-rate curve. */
export function DerivedPanel({ config }: { config: RunConfig | undefined }) {
  const derived = useMemo(() => {
    if (!config) return undefined;
    const steps = plannedSteps(config);
    const curve = config.lrRangeTest ? rangeTestCurve(config.lrRangeTest) : learningRateCurve(config, steps);
    return { facts: deriveFacts(config), steps, curve };
  }, [config]);
  if (!derived) {
    return (
      <aside className="derived" aria-label="Derived facts">
        <h2>Model</h2>
        <p className="muted">Fix the highlighted fields to see the parameter count, layer shapes and learning-rate schedule.</p>
      </aside>
    );
  }
  const { facts, steps, curve } = derived;
  return (
    <aside className="derived" aria-label="Derived facts">
      <h2>Model</h2>
      <dl className="facts">
        <dt>Parameters</dt>
        <dd data-testid="derived-params">{facts.parameterCount.toLocaleString('en-GB')}</dd>
        <dt>FLOPs / sample</dt>
        <dd>{formatMetric(facts.flopsPerSample)}</dd>
        <dt>Input</dt>
        <dd>{facts.inputShape.join('×')}</dd>
        <dt>Optimizer steps</dt>
        <dd>{steps.toLocaleString('en-GB')}</dd>
      </dl>
      <table className="plain small" aria-label="Layers">
        <thead>
          <tr>
            <th>Layer</th>
            <th>Output</th>
            <th className="numeric">Params</th>
          </tr>
        </thead>
        <tbody>
          {facts.layers.map((layer) => (
            <tr key={layer.name}>
              <td>{layer.name}</td>
              <td>{layer.outputShape.join('×')}</td>
              <td className="numeric">{layer.params.toLocaleString('en-GB')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Chart
        label="Learning-rate schedule"
        height={200}
        option={buildLineChartOption({
          title: config?.lrRangeTest ? 'Range test learning rate' : 'Learning rate',
          xName: 'step',
          logY: Boolean(config?.lrRangeTest),
          series: [{ name: 'learning rate', points: { data: curve.map((p) => [p.step, p.learningRate]) } }],
        })}
      />
    </aside>
  );
}
