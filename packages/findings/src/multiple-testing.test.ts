import { describe, expect, it } from 'vitest';
import { benjaminiHochberg } from './multiple-testing';

describe('benjaminiHochberg', () => {
  it('matches SciPy on a list given out of order', () => {
    // python3 -c "from scipy.stats import false_discovery_control as f; print(f([0.01,0.04,0.03,0.005,0.2,0.5,0.04,0.001], method='bh'))"
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.04, 0.001]);
    const scipy = [0.0266666667, 0.0533333333, 0.0533333333, 0.02, 0.2285714286, 0.5, 0.0533333333, 0.008];
    q.forEach((value, i) => expect(value).toBeCloseTo(scipy[i]!, 9));
  });

  it('matches SciPy on Benjamini and Hochberg’s own example of 15 p-values', () => {
    // python3 -c "from scipy.stats import false_discovery_control as f; print(f([0.0001,0.0004,0.0019,0.0095,0.0201,0.0278,0.0298,0.0344,0.0459,0.3240,0.4262,0.5719,0.6528,0.7590,1.0], method='bh'))"
    const p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1];
    const scipy = [
      0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0638571429, 0.0638571429, 0.0645, 0.0765, 0.486, 0.5811818182, 0.714875, 0.7532307692, 0.8132142857, 1,
    ];
    benjaminiHochberg(p).forEach((value, i) => expect(value).toBeCloseTo(scipy[i]!, 9));
    // At α = 0.05 the procedure declares the first four (the paper's answer), not the nine with p < 0.05.
    expect(benjaminiHochberg(p).filter((q) => q <= 0.05)).toHaveLength(4);
  });

  it('leaves a single p-value alone, answers nothing for none, and refuses a value that is not a probability', () => {
    expect(benjaminiHochberg([0.03])).toEqual([0.03]);
    expect(benjaminiHochberg([])).toEqual([]);
    expect(() => benjaminiHochberg([0.1, Number.NaN])).toThrow('A p-value must be between 0 and 1, not NaN');
    expect(() => benjaminiHochberg([1.2])).toThrow(RangeError);
  });
});
