'use client';
// One ECharts canvas. Only the chart types and components Tuneboard draws are registered, to keep the bundle small.
import type { EChartsOption } from 'echarts';
import { LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import ReactEChartsCore from 'echarts-for-react/lib/core';
import { useSyncExternalStore } from 'react';
import { countPoints } from './chart-options';

echarts.use([
  LineChart,
  ScatterChart,
  ParallelChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  DataZoomComponent,
  MarkLineComponent,
  ParallelComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

const DARK = '(prefers-color-scheme: dark)';
const subscribeToScheme = (onChange: () => void) => {
  const query = window.matchMedia(DARK);
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
};

/** Whether the system asks for dark mode, following changes; false on the server. */
function usePrefersDark(): boolean {
  return useSyncExternalStore(
    subscribeToScheme,
    () => window.matchMedia(DARK).matches,
    () => false,
  );
}

export function Chart({ option, label, height = 280 }: { option: EChartsOption; label: string; height?: number }) {
  const series = Array.isArray(option.series) ? option.series : [];
  // ECharts' own dark theme for axes, labels and legends, on the page's background rather than its own.
  const dark = usePrefersDark();
  const themed = dark ? { ...option, backgroundColor: 'transparent' } : option;
  return (
    <figure className="chart" aria-label={label} data-chart={label} data-series-count={series.length} data-point-count={countPoints(option)}>
      <ReactEChartsCore echarts={echarts} option={themed} theme={dark ? 'dark' : undefined} notMerge lazyUpdate style={{ height, width: '100%' }} />
    </figure>
  );
}
