import { StringDecoder } from 'node:string_decoder';

/** Characters per stored line: the API's limit. Longer output is stored as several lines. */
export const MAX_LINE_CHARS = 16_384;

/**
 * Splits a stream's bytes into lines as a terminal shows them: UTF-8 decoded across chunk boundaries, a carriage
 * return (progress bars) keeping only what was written after it, NUL (which PostgreSQL text cannot hold) as U+FFFD,
 * and lines longer than the API takes cut into pieces.
 */
export class ConsoleLines {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly onLine: (text: string) => void) {}

  write(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.emit(line);
    // A line that never ends (a stream of dots) is still stored, in pieces.
    while (this.partial.length > MAX_LINE_CHARS * 4) {
      this.emit(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
  }

  /** The last line, when the stream ended without a newline. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.emit(rest);
  }

  private emit(raw: string): void {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const cr = line.lastIndexOf('\r');
    if (cr !== -1) line = line.slice(cr + 1);
    line = line.replaceAll('\u0000', '\uFFFD');
    if (line.length <= MAX_LINE_CHARS) return this.onLine(line);
    for (let i = 0; i < line.length; i += MAX_LINE_CHARS) this.onLine(line.slice(i, i + MAX_LINE_CHARS));
  }
}
