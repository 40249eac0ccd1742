import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMetricsLine, type MetricsLine } from './metrics-line';

/** Bytes per request body: metrics, not files. */
const MAX_BODY = 8 * 1024 * 1024;

/**
 * A local HTTP endpoint for metrics, for code that would rather not print them: POST to TUNEBOARD_METRICS_URL a
 * JSON object like a metrics line (`{"step": 3, "loss": 0.2}`), or several as JSON lines. Listens on 127.0.0.1
 * only, on a free port, and lives as long as the command. The URL's path holds a random secret, so other users'
 * processes on the machine cannot write into the run.
 */
export async function startMetricsEndpoint(onMetrics: (metrics: MetricsLine) => void): Promise<{ url: string; close(): Promise<void> }> {
  const path = `/${randomBytes(16).toString('hex')}/metrics`;
  const server: Server = createServer((request, response) => {
    const reply = (status: number, body: object) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.url !== path) return reply(404, { error: 'Not found: POST metrics to the URL in TUNEBOARD_METRICS_URL' });
    if (request.method !== 'POST') return reply(405, { error: 'POST metrics as JSON lines' });
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reply(413, { error: `A request holds at most ${MAX_BODY / 1024 / 1024} MB of metrics` });
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY) return;
      const parsed: MetricsLine[] = [];
      const lines = Buffer.concat(chunks).toString('utf8').split('\n');
      for (const [index, line] of lines.entries()) {
        if (line.trim() === '') continue;
        const result = parseMetricsLine(line);
        if (result.kind === 'invalid') return reply(400, { error: `line ${index + 1}: ${result.message}` });
        if (result.kind === 'text')
          return reply(400, { error: `line ${index + 1}: not a metrics object; send {"step": 1, "loss": 0.5} (numbers only, step optional)` });
        parsed.push(result.metrics);
      }
      for (const metrics of parsed) onMetrics(metrics);
      reply(200, { accepted: parsed.reduce((sum, m) => sum + Object.keys(m.values).length, 0) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
