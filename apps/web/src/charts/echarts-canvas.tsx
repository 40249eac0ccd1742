'use client';
// The ECharts half of a chart, loaded on its own (next/dynamic) so the page's text is interactive before the chart
// library is parsed. Only the chart types and components Tuneboard draws are registered, to keep the chunk small.
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
import { useEffect, useState } from 'react';

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

// Charts that mount together draw one per task: a page of six charts is six short tasks the browser can answer input
// between, not one long one (Lighthouse counts every task over 50 ms as blocking).
let queue: (() => void)[] = [];
let draining = false;
function takeTurn(draw: () => void): () => void {
  queue.push(draw);
  if (!draining) {
    draining = true;
    const next = () => {
      const turn = queue.shift();
      if (!turn) {
        draining = false;
        return;
      }
      turn();
      setTimeout(next, 0);
    };
    setTimeout(next, 0);
  }
  return () => {
    queue = queue.filter((d) => d !== draw);
  };
}

export default function EChartsCanvas({ option, dark, height, onDrawn }: { option: EChartsOption; dark: boolean; height: number; onDrawn: () => void }) {
  const [turn, setTurn] = useState(false);
  useEffect(() => takeTurn(() => setTurn(true)), []);
  if (!turn) return <div style={{ height, width: '100%' }} />;
  return (
    <ReactEChartsCore
      echarts={echarts}
      option={option}
      theme={dark ? 'dark' : undefined}
      notMerge
      lazyUpdate
      style={{ height, width: '100%' }}
      onEvents={{ finished: onDrawn }}
    />
  );
}
