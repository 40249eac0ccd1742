import { describe, expect, it } from 'vitest';
import { comparisonText, sideCounts, strataText } from './evidence-text';

describe('evidence panel text', () => {
  it('counts configurations and runs, and duplicates when there are any', () => {
    expect(sideCounts({ configurationCount: 3, runCount: 12, duplicateRuns: 0 })).toBe('3 configurations, 12 runs');
    expect(sideCounts({ configurationCount: 1, runCount: 1 })).toBe('1 configuration, 1 run');
    expect(sideCounts({ configurationCount: 6, runCount: 12, duplicateRuns: 1 })).toBe('6 configurations, 12 runs, 1 duplicate counted once');
  });

  it('states a comparison with its interval, or why there is none', () => {
    expect(comparisonText({ difference: 0.03, interval: { low: 0.0125, high: 0.04801, level: 0.95 } }, 'none')).toBe('+0.03 (95% interval 0.0125 to 0.04801)');
    expect(comparisonText({ difference: -0.01, interval: null }, 'none')).toBe(
      '-0.01 (no interval: every configuration has one run, so there is no seed noise to resample)',
    );
    expect(comparisonText({ difference: null, interval: null }, 'no stratum has runs on both sides')).toBe('no stratum has runs on both sides');
  });

  it('says how many strata were compared and left out', () => {
    expect(strataText({ strataCompared: 3, strataOneSided: 0 }, ['batchSize'])).toBe('3 strata compared (runs equal but for batchSize and their seeds)');
    expect(strataText({ strataCompared: 1, strataOneSided: 2 }, ['batchSize'])).toBe(
      '1 stratum compared (runs equal but for batchSize and their seeds); 2 strata with runs on one side only left out',
    );
  });
});
