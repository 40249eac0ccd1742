'use client';
// One chart: a figure with its label and counts (what tests and assistive technology read), and the ECharts canvas.
import type { EChartsOption } from 'echarts';
import dynamic from 'next/dynamic';
import { useState, useSyncExternalStore } from 'react';
import { countPoints } from './chart-options';

// ECharts is most of a chart page's script: it is its own chunk, parsed after the page's own script, and the
// space is held meanwhile. Its download starts as soon as this module runs, not when the first chart mounts.
const loadCanvas = () => import('./echarts-canvas');
if (typeof window !== 'undefined') void loadCanvas();
const EChartsCanvas = dynamic(loadCanvas, { ssr: false });

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
  // Set once ECharts has finished drawing: what benchmarks and tests can wait for.
  const [drawn, setDrawn] = useState(false);
  return (
    <figure
      className="chart"
      aria-label={label}
      data-chart={label}
      data-series-count={series.length}
      data-point-count={countPoints(option)}
      data-drawn={drawn || undefined}
      style={{ minHeight: height }}
    >
      <EChartsCanvas option={themed} dark={dark} height={height} onDrawn={() => setDrawn(true)} />
    </figure>
  );
}
