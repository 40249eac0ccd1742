import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStatusLabel } from './run-status';

// Each run status's badge (`status status-<label>` in globals.css) has its own colours, readable at WCAG AA (4.5:1)
// in the light theme and in the dark one. The browser walk checks the statuses it meets with axe; this covers all.
const css = readFileSync(join(__dirname, '../app/globals.css'), 'utf8');
const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED', 'LOST', 'PRUNED'] as const;

function variables(block: string): Map<string, string> {
  return new Map([...block.matchAll(/(--[\w-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1]!, m[2]!.toLowerCase()]));
}
const light = variables(css.slice(css.indexOf(':root'), css.indexOf('@media (prefers-color-scheme: dark)')));
const dark = new Map([...light, ...variables(css.slice(css.indexOf('@media (prefers-color-scheme: dark)')).split('}')[0]!)]);

const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
};
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

describe('run status badges', () => {
  for (const status of STATUSES) {
    it(`${status}: a rule of its own, AA contrast in both themes`, () => {
      const label = runStatusLabel(status);
      const rule = new RegExp(`\\.status-${label}\\b[^{]*\\{([^}]*)\\}`).exec(css);
      expect(rule, `.status-${label} in globals.css`).not.toBeNull();
      const background = /background:\s*var\((--[\w-]+)\)/.exec(rule![1]!)![1]!;
      const color = /(?:^|;)\s*color:\s*var\((--[\w-]+)\)/.exec(rule![1]!)![1]!;
      for (const [theme, vars] of [
        ['light', light],
        ['dark', dark],
      ] as const) {
        expect(contrast(vars.get(color)!, vars.get(background)!), `${status} in the ${theme} theme`).toBeGreaterThanOrEqual(4.5);
      }
    });
  }
});
