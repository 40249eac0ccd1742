// The grid method: every combination of each path's grid values, with conditional paths present only where their
// condition holds (a grid over optimizer.name × momentum has no momentum for adam, and so no duplicate adam runs).
import type { Rng } from './rng';
import { gridValues, isActive, orderedPaths, type Configuration, type Scalar, type SearchSpace, type SpaceIssue } from './space';

const GRID_COUNT_CAP = 1e12;

export type GridResult = { ok: true; configurations: Configuration[] } | { ok: false; issues: SpaceIssue[] };

/** The grid's configurations, or why there is none: a float range without `grid` points, or more than `limit`. */
export function gridConfigurations(space: SearchSpace, limit: number): GridResult {
  const order = orderedPaths(space) ?? [];
  const values = new Map<string, Scalar[]>();
  const issues: SpaceIssue[] = [];
  for (const path of order) {
    const list = gridValues(space[path]!);
    if (list) values.set(path, list);
    else
      issues.push({ path: `${path}.grid`, message: 'The grid method needs a number of points for this range (grid: 5), or a list of values (categorical).' });
  }
  if (issues.length > 0) return { ok: false, issues };
  const count = countUpTo(space, order, values, GRID_COUNT_CAP);
  if (count > limit) {
    const size = count >= GRID_COUNT_CAP ? `more than ${GRID_COUNT_CAP.toExponential()}` : String(count);
    return { ok: false, issues: [{ path: '', message: `The grid has ${size} configurations; the budget allows ${limit} runs.` }] };
  }
  if (count === 0) return { ok: false, issues: [{ path: '', message: 'The grid is empty.' }] };
  const configurations: Configuration[] = [];
  const walk = (i: number, chosen: Configuration) => {
    if (i === order.length) return void configurations.push({ ...chosen });
    const path = order[i]!;
    if (!isActive(space[path]!, chosen)) return walk(i + 1, chosen);
    for (const value of values.get(path)!) {
      chosen[path] = value;
      walk(i + 1, chosen);
    }
    delete chosen[path];
  };
  walk(0, {});
  return { ok: true, configurations };
}

/** The number of grid configurations, counting no further than `cap` (grids can be astronomically large). */
function countUpTo(space: SearchSpace, order: readonly string[], values: ReadonlyMap<string, Scalar[]>, cap: number): number {
  const read = new Set(order.flatMap((path) => (space[path]!.when ? [space[path]!.when!.path] : [])));
  const countFrom = (i: number, chosen: Configuration): number => {
    if (i === order.length) return 1;
    const path = order[i]!;
    if (!isActive(space[path]!, chosen)) return countFrom(i + 1, chosen);
    const list = values.get(path)!;
    // A path no condition reads multiplies the rest: count one branch and scale, rather than walking each value.
    if (!read.has(path)) return Math.min(cap, list.length * countFrom(i + 1, chosen));
    let total = 0;
    for (const value of list) {
      chosen[path] = value;
      total = Math.min(cap, total + countFrom(i + 1, chosen));
      if (total >= cap) break;
    }
    delete chosen[path];
    return total;
  };
  return countFrom(0, {});
}

/** A seeded shuffle (Fisher–Yates): a partly run grid then covers the space evenly instead of one corner first. */
export function shuffled<T>(list: readonly T[], rng: Rng): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
