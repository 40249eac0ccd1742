// Looking up flat hyperparameter paths in a table of path patterns (`model.convLayers[].kernelSize`): what a path
// means, and the nearest known path to a mistyped one. No zod here: the built-in table is read from the zod schema
// (paths.ts), while the dashboard builds the same lookup from the table the API sends, without loading the schema.
import { editDistance, typoTolerance } from './closest';

export interface PathLookup<T> {
  /** The entry of a path at any index (`model.convLayers[7].stride`); undefined for an unknown path. */
  describe(path: string): T | undefined;
  /**
   * The known path nearest to a mistyped one, keeping its indices (`model.convLayers[2].kernalSize` →
   * `model.convLayers[2].kernelSize`). A bare name is also matched against the last segment (`learingRate` →
   * `optimizer.learningRate`).
   */
  suggest(unknown: string): string | undefined;
}

export function pathLookup<T>(table: ReadonlyMap<string, T>): PathLookup<T> {
  return {
    describe: (path) => table.get(toPattern(path)),
    suggest(unknown) {
      const pattern = toPattern(unknown.trim());
      if (table.has(pattern)) return withIndices(pattern, unknown);
      const leaf = lastSegment(pattern);
      const tolerance = typoTolerance(leaf);
      let best: string | undefined;
      let bestDistance = tolerance + 1;
      for (const candidate of table.keys()) {
        let distance = editDistance(pattern, candidate);
        if (!pattern.includes('.')) distance = Math.min(distance, editDistance(pattern, lastSegment(candidate)));
        if (distance < bestDistance) {
          best = candidate;
          bestDistance = distance;
        }
      }
      return best === undefined ? undefined : withIndices(best, unknown);
    },
  };
}

/** `model.convLayers[3].pool.size` → `model.convLayers[].pool.size` */
export function toPattern(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

function lastSegment(pattern: string): string {
  return pattern.slice(pattern.lastIndexOf('.') + 1).replace(/\[\]$/, '');
}

/** Puts the indices of `concrete` back into `pattern` when both have as many. */
function withIndices(pattern: string, concrete: string): string {
  const indices = [...concrete.matchAll(/\[(\d+)\]/g)].map((match) => match[1]);
  if (indices.length !== (pattern.match(/\[\]/g) ?? []).length) return pattern;
  let i = 0;
  return pattern.replace(/\[\]/g, () => `[${indices[i++]}]`);
}
