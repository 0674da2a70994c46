/**
 * The SSE clients of e2e/bench/runtime-logs.ts, in a process of their own so that their
 * memory is not counted against the api's. Opens `streams` runtime-log streams (config in
 * the env var DANGUS_BENCH_LOGS_CLIENT, JSON), prints `{"open":true}` on stdout once every
 * stream answered 200, keeps them until a line `stop` (or the end) on stdin, then prints its
 * findings as one JSON line and exits.
 *
 * A line's latency: when this process read it (Date.now(), this machine's clock) − the
 * line's `timestamp` (the container runtime's RFC 3339 nanosecond stamp, the same clock).
 * Only the app's numbered lines (`line N`) stamped at least `warmupMs` after the streams
 * opened count: the tail replayed at the start and the warm-up are left out.
 */
import { request, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';

export interface ClientConfig {
  url: string;
  cookie: string;
  streams: number;
  warmupMs: number;
}

export interface StreamReport {
  /** Every `log` event received, the tail replayed at the start included. */
  events: number;
  /** Numbered lines stamped after the streams opened (written while they were open). */
  live: number;
  /** Numbered lines missing between the first and the last received (none, when all flowed). */
  gaps: number;
  /** Numbered lines received twice or out of order. */
  repeats: number;
  /** Whether the server ended the stream before `stop`. */
  ended: boolean;
}

export interface ClientReport {
  /** From every stream open to `stop`, seconds. */
  seconds: number;
  streams: StreamReport[];
  /** Latencies (ms) of the numbered lines stamped after the warm-up, every stream together. */
  latencies: number[];
}

/** RFC 3339 with up to nine fraction digits → epoch milliseconds, the fraction kept. */
export function stampMs(timestamp: string): number {
  const match = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) return Number.NaN;
  return Date.parse(`${match[1] ?? ''}${match[3] ?? ''}`) + Number(`0.${match[2] ?? '0'}`) * 1000;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.DANGUS_BENCH_LOGS_CLIENT ?? '{}') as ClientConfig;
  const latencies: number[] = [];
  const reports: StreamReport[] = [];
  const responses: IncomingMessage[] = [];
  let openedAt = Number.POSITIVE_INFINITY;

  const openOne = (report: StreamReport) =>
    new Promise<void>((resolve, reject) => {
      const req = request(config.url, { headers: { Cookie: config.cookie, Accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`the stream answered ${String(res.statusCode)}`));
          res.resume();
          return;
        }
        responses.push(res);
        res.setEncoding('utf8');
        let buffer = '';
        let last: number | null = null;
        res.on('data', (chunk: string) => {
          const now = Date.now();
          buffer += chunk;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let event = '';
            let data = '';
            for (const field of block.split('\n')) {
              if (field.startsWith('event: ')) event = field.slice(7);
              else if (field.startsWith('data: ')) data += field.slice(6);
            }
            if (event === 'end') report.ended = true;
            if (event !== 'log') continue;
            report.events += 1;
            const { timestamp, line } = JSON.parse(data) as { timestamp: string; line: string };
            const number = /^line (\d+)$/.exec(line)?.[1];
            if (number === undefined) continue;
            const n = Number(number);
            if (last !== null && n > last + 1) report.gaps += n - last - 1;
            if (last !== null && n <= last) report.repeats += 1;
            else last = n;
            const stamp = stampMs(timestamp);
            if (stamp >= openedAt) report.live += 1;
            if (stamp >= openedAt + config.warmupMs) latencies.push(now - stamp);
          }
        });
        res.on('end', () => {
          report.ended = true;
        });
        resolve();
      });
      req.on('error', reject);
      req.end();
    });

  for (let i = 0; i < config.streams; i += 1) reports.push({ events: 0, live: 0, gaps: 0, repeats: 0, ended: false });
  await Promise.all(reports.map(openOne));
  openedAt = Date.now();
  process.stdout.write(`${JSON.stringify({ open: true })}\n`);

  await new Promise<void>((resolve) => {
    const input = createInterface({ input: process.stdin });
    input.on('line', (line) => {
      if (line.trim() === 'stop') resolve();
    });
    input.on('close', resolve);
  });
  const seconds = (Date.now() - openedAt) / 1000;
  for (const res of responses) res.destroy();
  const report: ClientReport = { seconds, streams: reports, latencies };
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

if (process.env.DANGUS_BENCH_LOGS_CLIENT !== undefined) await main();
