// Run annotations as vertical markers on the compare charts, at the annotated step on the chosen x axis.
import { xOf, type RawSeries, type XAxisKind } from '@/charts/series-points';

export interface AnnotationNote {
  runId: string;
  body: string;
  step?: number | null;
}

const MAX_LABEL = 40;

/**
 * The markers of the notes that name a step, on `xAxis`: steps as they are, epochs through the run's steps per
 * epoch, wall time through the run's point nearest the step (`seriesOf` gives it; without one, no marker).
 */
export function annotationMarkers(
  notes: readonly AnnotationNote[],
  context: {
    xAxis: XAxisKind;
    runName: (runId: string) => string | undefined;
    stepsPerEpoch: ReadonlyMap<string, number>;
    startTime: ReadonlyMap<string, number>;
    seriesOf?: (runId: string) => RawSeries | undefined;
  },
): { x: number; label: string }[] {
  return notes.flatMap((note) => {
    const name = context.runName(note.runId);
    if (note.step == null || name === undefined) return [];
    let wallTime = 0;
    if (context.xAxis === 'time') {
      const series = context.seriesOf?.(note.runId);
      if (!series || series.steps.length === 0) return [];
      let nearest = 0;
      series.steps.forEach((step, i) => {
        if (Math.abs(step - note.step!) < Math.abs(series.steps[nearest]! - note.step!)) nearest = i;
      });
      wallTime = series.wallTimes[nearest] ?? 0;
    }
    const x = xOf(
      { kind: context.xAxis, stepsPerEpoch: context.stepsPerEpoch.get(note.runId), startTime: context.startTime.get(note.runId) },
      note.step,
      wallTime,
    );
    const text = `${name}: ${note.body.replace(/\s+/g, ' ').trim()}`;
    return [{ x, label: text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text }];
  });
}
