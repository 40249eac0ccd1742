'use client';
// The importance bar chart. Loaded lazily by the importance panel; registers the two chart types only it draws.
import { BarChart, CustomChart } from 'echarts/charts';
import * as echarts from 'echarts/core';
import { Chart } from './chart';
import { buildImportanceOption, type ImportanceBar } from './importance-options';

echarts.use([BarChart, CustomChart]);

export function ImportanceChart({ bars, metricName }: { bars: readonly ImportanceBar[]; metricName: string }) {
  return (
    <Chart
      label={`Hyperparameter importance for ${metricName}`}
      height={Math.max(160, 60 + bars.length * 32)}
      option={buildImportanceOption(bars, metricName)}
    />
  );
}
