// Words for the evidence panel: how many configurations and runs a side holds, and a comparison with its interval.
import { formatMetric } from '@/lib/metric-value';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** "3 configurations, 12 runs" (seeds of one configuration count once; duplicates of one run too). */
export function sideCounts(side: { configurationCount: number; runCount: number; duplicateRuns?: number }): string {
  const duplicates = side.duplicateRuns ? `, ${plural(side.duplicateRuns, 'duplicate')} counted once` : '';
  return `${plural(side.configurationCount, 'configuration')}, ${plural(side.runCount, 'run')}${duplicates}`;
}

/** "+0.03 (95% interval 0.012 to 0.048)"; says what is missing when there is nothing to compare. */
export function comparisonText(
  comparison: { difference: number | null; interval: { low: number; high: number; level: number } | null },
  missing: string,
): string {
  if (comparison.difference === null) return missing;
  const difference = `${comparison.difference >= 0 ? '+' : ''}${formatMetric(comparison.difference)}`;
  if (!comparison.interval) return `${difference} (no interval: every configuration has one run, so there is no seed noise to resample)`;
  const { low, high, level } = comparison.interval;
  return `${difference} (${Math.round(level * 100)}% interval ${formatMetric(low)} to ${formatMetric(high)})`;
}

const strata = (count: number) => `${count} ${count === 1 ? 'stratum' : 'strata'}`;

/** What the stratified comparison used: strata compared, and those left out for having one side only. */
export function strataText(stratified: { strataCompared: number; strataOneSided: number }, rulePaths: readonly string[]): string {
  const oneSided = stratified.strataOneSided ? `; ${strata(stratified.strataOneSided)} with runs on one side only left out` : '';
  return `${strata(stratified.strataCompared)} compared (runs equal but for ${rulePaths.join(', ') || 'the rule'} and their seeds)${oneSided}`;
}
