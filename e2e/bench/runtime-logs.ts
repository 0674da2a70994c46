/**
 * Runtime logs on a real node (e2e/realnode): `GET /api/services/:id/logs/stream`, the api
 * following the app container's log through the Kubernetes API (kubelet, containerd, a
 * real container writing to stdout) and sending each line as a server-sent event.
 *
 * 1. Line → SSE client: the app (commitApp's `linesPerSecond`) prints numbered lines at
 *    `--rate` (10) a second; one SSE client, in a child process (runtime-logs-client.ts),
 *    reads the stream over HTTP from the api listening on loopback. A line's latency is when
 *    the client read it (Date.now()) − its `timestamp` field, the container runtime's RFC 3339
 *    nanosecond stamp of when the container wrote it: both this machine's clock. After a
 *    `--warmup` (5 s), the lines stamped during the next `--seconds` (35) count.
 * 2. api memory with `--streams` (20) open streams on an app printing `--busy-rate` (100)
 *    lines a second (a second push of the same service; each stream is its own follow
 *    through the Kubernetes API): the api runs in this process (startTestPlatform), so its
 *    RSS is this process's. Idle: the new pod live and the old one gone, a full GC
 *    (`--expose-gc` set at run time through v8.setFlagsFromString), 5 s settled, then the mean
 *    of 10 samples over 5 s. Then the clients (a child process: their memory is not counted)
 *    keep the streams `--hold` (30) seconds while RSS is sampled every 500 ms; peak and mean
 *    above idle, and again 5 s after they closed (after a GC). V8's heap (committed and used)
 *    and memory outside it are sampled alongside, to tell where RSS goes, and the process's
 *    CPU over the hold. Lines per stream (numbered: none missing, none twice) show they
 *    flowed; the same clients' latencies under that load are given too.
 *
 * Needs root (the real node). `node --import tsx e2e/bench/runtime-logs.ts` (after `npm run build`).
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AddressInfo } from 'node:net';
import { listen } from '@dangus/api/server';
import { setupPostgres } from '@dangus/api/test-support/postgres-setup';
import { teardownPostgres } from '@dangus/api/test-support/postgres-teardown';
import { hasGo, missingBinaries } from '../cluster/src/binaries.js';
import { realNodePrerequisites } from '../cluster/src/real-node.js';
import { commitApp, createProject, createService, eventually, push, startRealWorld, waitForStatus, type RealWorld } from '../realnode/support.js';
import type { ClientConfig, ClientReport } from './runtime-logs-client.js';
import { percentile } from './percentile.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '35' },
    streams: { type: 'string', default: '20' },
    'busy-rate': { type: 'string', default: '100' },
    hold: { type: 'string', default: '30' },
  },
});
const RATE = Number(args.rate);
const WARMUP_MS = Number(args.warmup) * 1000;
const MEASURE_MS = Number(args.seconds) * 1000;
const STREAMS = Number(args.streams);
const BUSY_RATE = Number(args['busy-rate']);
const HOLD_MS = Number(args.hold) * 1000;
const SERVICE = 'logs';
const CLIENT = fileURLToPath(new URL('./runtime-logs-client.ts', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => bytes / 1024 / 1024;
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** A full GC: `--expose-gc` at run time (the bench runner starts node without flags). */
function exposeGc(): () => void {
  if (globalThis.gc === undefined) setFlagsFromString('--expose-gc');
  // A new context gets the `gc` global the flag now allows.
  const gc: unknown = globalThis.gc ?? runInNewContext('gc');
  return typeof gc === 'function' ? (gc as () => void) : () => undefined;
}

/** SSE clients in a child process: resolves once every stream answered; `stop()` closes them and returns their report. */
async function openClients(config: ClientConfig): Promise<{ stop(): Promise<ClientReport> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENT], {
    env: { ...process.env, DANGUS_BENCH_LOGS_CLIENT: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const messages: string[] = [];
  let waiting: ((line: string | null) => void) | undefined;
  lines.on('line', (line) => {
    if (waiting) waiting(line);
    else messages.push(line);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const next = () =>
    new Promise<string | null>((resolve) => {
      const queued = messages.shift();
      if (queued !== undefined) {
        resolve(queued);
        return;
      }
      waiting = (line) => {
        waiting = undefined;
        resolve(line);
      };
      void exited.then(() => waiting?.(null));
    });
  const opened = await next();
  if (opened === null || !(JSON.parse(opened) as { open?: boolean }).open) {
    child.kill();
    throw new Error(`the SSE clients did not open their streams (${opened ?? 'the child exited'})`);
  }
  return {
    async stop() {
      child.stdin.write('stop\n');
      child.stdin.end();
      const report = await next();
      await exited;
      if (report === null) throw new Error('the SSE clients exited without a report');
      return JSON.parse(report) as ClientReport;
    },
  };
}

/** Pushes an app printing `rate` lines a second and waits until its pod is the service's only one. */
async function deployLines(w: RealWorld, service: Awaited<ReturnType<typeof createService>>, namespace: string, rate: number): Promise<void> {
  const commit = await commitApp(w, { version: `lines-${String(rate)}`, linesPerSecond: rate });
  await waitForStatus(w, await push(w, service, commit), 'live');
  await eventually(`the ${String(rate)} lines/s pod alone`, async () => {
    const pods = await w.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${SERVICE},dangus.cloud/role=app` });
    const [pod, ...others] = pods.items;
    return others.length === 0 && pod?.spec?.containers[0]?.image?.includes(`:${commit}@`) && pod.status?.containerStatuses?.[0]?.ready
      ? pod
      : undefined;
  }, 120_000);
}

interface Memory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

function memory(): Memory {
  const m = process.memoryUsage();
  return { rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external + m.arrayBuffers) };
}

/** Each measure of the samples, reduced on its own (the peak of each, or the mean). */
function reduce(samples: Memory[], by: (values: number[]) => number): Memory {
  return {
    rss: by(samples.map((s) => s.rss)),
    heapTotal: by(samples.map((s) => s.heapTotal)),
    heapUsed: by(samples.map((s) => s.heapUsed)),
    external: by(samples.map((s) => s.external)),
  };
}

/** After a full GC and 5 s settled: the mean of 10 samples over 5 s. */
async function settled(gc: () => void): Promise<Memory> {
  gc();
  await sleep(5_000);
  const samples: Memory[] = [];
  for (let i = 0; i < 10; i += 1) {
    samples.push(memory());
    await sleep(500);
  }
  return reduce(samples, mean);
}

function latencyRow(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `| ${label} | ${String(sorted.length)} | ${percentile(sorted, 50).toFixed(0)} | ${percentile(sorted, 99).toFixed(0)} | ${(sorted.at(-1) ?? NaN).toFixed(0)} |\n`;
}

async function main(): Promise<void> {
  const gc = exposeGc();
  await setupPostgres();
  let world: RealWorld | undefined;
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  try {
    world = await startRealWorld((line) => process.stderr.write(`${line}\n`));
    const w = world;
    // The api on loopback, as a browser reaches it: the clients are another process.
    server = await listen(w.platform.app, '127.0.0.1', 0);
    const { port } = server.address() as AddressInfo;
    const project = await createProject(w, 'bench');
    const service = await createService(w, project.id, { name: SERVICE, healthCheckPath: '/healthz' });
    const url = `http://127.0.0.1:${String(port)}/api/services/${service.id}/logs/stream?tail=200`;

    // 1. One stream, `RATE` lines a second: line written → read by the client.
    await deployLines(w, service, project.namespace, RATE);
    const single = await openClients({ url, cookie: w.cookie, streams: 1, warmupMs: WARMUP_MS });
    await sleep(WARMUP_MS + MEASURE_MS);
    const one = await single.stop();

    // 2. `STREAMS` streams on an app printing `BUSY_RATE` lines a second: the api's memory.
    await deployLines(w, service, project.namespace, BUSY_RATE);
    const idle = await settled(gc);
    const many = await openClients({ url, cookie: w.cookie, streams: STREAMS, warmupMs: WARMUP_MS });
    const held: Memory[] = [];
    const cpuFrom = process.cpuUsage();
    const heldFrom = performance.now();
    for (const end = heldFrom + HOLD_MS; performance.now() < end; ) {
      held.push(memory());
      await sleep(500);
    }
    const cpu = process.cpuUsage(cpuFrom);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - heldFrom)) * 100;
    const busy = await many.stop();
    const after = await settled(gc);

    process.stdout.write(
      `\nRuntime logs on a real node, line written by the container → read by an SSE client (${String(cpus().length)} cores; ` +
        `latency = client's Date.now() − the line's runtime timestamp; lines after a ${String(WARMUP_MS / 1000)} s warm-up)\n\n`,
    );
    process.stdout.write('| measure | lines | p50 (ms) | p99 (ms) | max (ms) |\n| --- | ---: | ---: | ---: | ---: |\n');
    process.stdout.write(latencyRow(`1 stream, ${String(RATE)} lines/s (target p50 ≤ 500)`, one.latencies));
    process.stdout.write(latencyRow(`${String(STREAMS)} streams, ${String(BUSY_RATE)} lines/s each (the memory run below)`, busy.latencies));

    process.stdout.write(
      `\napi process memory (the api runs in the bench process), ${String(STREAMS)} streams held ${String(HOLD_MS / 1000)} s ` +
        `on one pod printing ${String(BUSY_RATE)} lines/s, sampled every 500 ms (${String(held.length)} samples); ` +
        `the process used ${cpuPercent.toFixed(0)} % of one core meanwhile\n\n`,
    );
    process.stdout.write('| measure (MB) | RSS | V8 heap committed | V8 heap used | external + array buffers |\n| --- | ---: | ---: | ---: | ---: |\n');
    const row = (label: string, m: Memory) =>
      `| ${label} | ${m.rss.toFixed(1)} | ${m.heapTotal.toFixed(1)} | ${m.heapUsed.toFixed(1)} | ${m.external.toFixed(1)} |\n`;
    const above = (m: Memory): Memory => ({
      rss: m.rss - idle.rss, heapTotal: m.heapTotal - idle.heapTotal, heapUsed: m.heapUsed - idle.heapUsed, external: m.external - idle.external,
    });
    process.stdout.write(row('idle (GC, 5 s settled, mean of 10 samples)', idle));
    process.stdout.write(row('streams open: peak above idle (target RSS ≤ 50)', above(reduce(held, (values) => Math.max(...values)))));
    process.stdout.write(row('streams open: mean above idle', above(reduce(held, mean))));
    process.stdout.write(row('streams closed (GC, 5 s settled): above idle', above(after)));

    const live = busy.streams.map((s) => s.live).sort((a, b) => a - b);
    const events = busy.streams.map((s) => s.events).sort((a, b) => a - b);
    const sum = (key: 'gaps' | 'repeats') => busy.streams.reduce((total, s) => total + s[key], 0);
    process.stdout.write(`\nLines per stream over ${busy.seconds.toFixed(1)} s (of ${String(busy.streams.length)} streams)\n\n`);
    process.stdout.write('| measure | min | mean | max |\n| --- | ---: | ---: | ---: |\n');
    process.stdout.write(`| lines received, written while open | ${String(live[0] ?? NaN)} | ${mean(live).toFixed(0)} | ${String(live.at(-1) ?? NaN)} |\n`);
    process.stdout.write(
      `| of which lines/s | ${((live[0] ?? NaN) / busy.seconds).toFixed(1)} | ${(mean(live) / busy.seconds).toFixed(1)} | ${((live.at(-1) ?? NaN) / busy.seconds).toFixed(1)} |\n`,
    );
    process.stdout.write(`| log events (with the 200-line tail) | ${String(events[0] ?? NaN)} | ${mean(events).toFixed(0)} | ${String(events.at(-1) ?? NaN)} |\n`);
    process.stdout.write(
      `\nNumbered lines missing: ${String(sum('gaps'))}, repeated: ${String(sum('repeats'))}; streams the server ended early: ` +
        `${String(busy.streams.filter((s) => s.ended).length)}. Single stream: ${String(one.streams[0]?.live ?? 0)} lines in ${one.seconds.toFixed(1)} s, ` +
        `missing ${String(one.streams[0]?.gaps ?? 0)}.\n`,
    );
  } finally {
    server?.closeAllConnections();
    server?.close();
    await world?.close();
    await teardownPostgres();
  }
}

// The real node needs root (mounts, cgroups, network namespaces) and the tools and binaries it runs: elsewhere, say so and pass.
const missing = realNodePrerequisites();
if (!hasGo()) missing.push(...missingBinaries(undefined, { node: true }).map((name) => `${name} (no Go toolchain to build it: see e2e/cluster/README.md)`));
if (missing.length === 0) await main();
else process.stdout.write(`\nskipped: the runtime-logs benchmark needs root and a real node (see e2e/cluster/README.md, "The real-node tier"); missing: ${missing.join(', ')}\n`);
