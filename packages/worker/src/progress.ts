import type { TrainProgress } from '@tuneboard/trainer';

/** What a worker reports while it trains (the trainer's progress): a live bar on a terminal, plain lines otherwise. */
export type TrainingProgress = TrainProgress;

export interface ProgressReporter {
  start(runName: string): void;
  update(progress: TrainingProgress): void;
  done(message: string): void;
  log(message: string): void;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export function formatProgressLine(p: TrainingProgress, width = 24): string {
  const fraction = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0;
  const filled = Math.round(fraction * width);
  const bar = width > 0 ? ` ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ` : ' ';
  return (
    `epoch ${p.epoch}/${p.epochs}${bar}${String(Math.round(fraction * 100)).padStart(width > 0 ? 3 : 0)}% ` +
    `step ${p.step}/${p.totalSteps}  ${Math.round(p.samplesPerSecond).toLocaleString('en')} samples/s  ETA ${formatDuration(p.etaSeconds)}`
  );
}

/** A bar redrawn in place on a TTY; elsewhere one line at most every `intervalMs`. */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr, intervalMs = 10_000): ProgressReporter {
  const tty = Boolean(stream.isTTY);
  let name = '';
  let lastLine = 0;
  return {
    start(runName) {
      name = runName;
      lastLine = 0;
      stream.write(`training ${runName}\n`);
    },
    update(progress) {
      const now = Date.now();
      if (tty) {
        if (now - lastLine < 100) return;
        lastLine = now;
        stream.write(`\r\x1b[2K${formatProgressLine(progress)}`);
      } else if (now - lastLine >= intervalMs) {
        lastLine = now;
        stream.write(`${name}: ${formatProgressLine(progress, 0)}\n`);
      }
    },
    done(message) {
      stream.write(`${tty ? '\r\x1b[2K' : ''}${name}: ${message}\n`);
    },
    log(message) {
      stream.write(`${tty ? '\r\x1b[2K' : ''}${message}\n`);
    },
  };
}
