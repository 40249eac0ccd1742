/**
 * A background heartbeat: calls `beat` every `intervalMs` so the API knows the script is alive (an EXTERNAL run
 * unheard from past the server's timeout becomes lost). The timer is unref'd, so it never keeps a finished script
 * running; a failed beat is not an error (the next one, or any metric batch, counts just as well), and beats never
 * overlap.
 */
export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | null = null;
  private inFlight = false;
  /** Beats that failed (API unreachable, refused); for diagnostics only. */
  missed = 0;

  constructor(
    private readonly beat: () => Promise<unknown>,
    readonly intervalMs: number,
  ) {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref?.();
  }

  get running(): boolean {
    return this.timer !== null;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (this.inFlight) return;
    this.inFlight = true;
    this.beat()
      .catch(() => {
        this.missed++;
      })
      .finally(() => {
        this.inFlight = false;
      });
  }
}
