/**
 * One metrics sample for 1,000 pods: the api's CPU time (user + system of this process,
 * which runs the product's ServiceMetrics and nothing else) for one list of every app
 * pod's figures through the real kube-apiserver's aggregation layer, parsed and stored
 * for 100 watched services of ten pods each. The metrics API behind the aggregator is
 * e2e/bench/metrics-backend.ts in a process of its own (metrics-server's answer, shape
 * for shape), on a bridge interface this benchmark creates (no ports) (the apiserver routes
 * aggregated APIs to endpoints, which may not be loopback). Needs root for that interface.
 *
 * `node --import tsx e2e/bench/metrics.ts [--pods 1000] [--samples 20]` (after `npm run build`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ApiregistrationV1Api, KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { ServiceMetrics } from '@dangus/api/service-metrics';
import { createServingCert, startCluster } from '../cluster/src/index.js';
import { registerMetricsApi } from '../cluster/src/real-node.js';
import { pollUntil } from '../cluster/src/util.js';
import { podOf } from './metrics-pods.js';

const { values: args } = parseArgs({ options: { pods: { type: 'string', default: '1000' }, samples: { type: 'string', default: '20' } } });
const PODS = Number(args.pods);
const SAMPLES = Number(args.samples);
const LINK = 'dangus-bench0';
const IP = '10.89.0.1';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    process.stdout.write('skipped: needs root (it adds a network interface for the metrics API endpoint)\n');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'dangus-metrics-bench-'));
  const cluster = await startCluster({ log: (line) => process.stderr.write(`${line}\n`) });
  spawnSync('ip', ['link', 'del', LINK], { stdio: 'ignore' });
  const ip = (...a: string[]) => {
    const r = spawnSync('ip', a, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${a.join(' ')}: ${r.stderr}`);
  };
  let backend: ReturnType<typeof spawn> | undefined;
  let metrics: ServiceMetrics | undefined;
  try {
    // A bridge without ports: an address of this machine that is not loopback, on a network of the benchmark's own.
    ip('link', 'add', LINK, 'type', 'bridge');
    ip('addr', 'add', `${IP}/32`, 'dev', LINK);
    ip('link', 'set', LINK, 'up');
    const cert = await createServingCert(join(dir, 'pki'), { name: 'metrics-backend', dns: ['metrics-server.kube-system.svc'], ips: [IP] });
    backend = spawn(process.execPath, ['--import', 'tsx', 'e2e/bench/metrics-backend.ts', '--ip', IP, '--pods', String(PODS), '--cert', cert.cert, '--key', cert.key], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: backend?.stdout ?? process.stdin });
      lines.on('line', (line) => {
        const match = /^listening (\d+)$/.exec(line);
        if (match?.[1]) resolve(Number(match[1]));
      });
      backend?.on('exit', (code) => reject(new Error(`the metrics backend exited (${String(code)})`)));
    });
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    await registerMetricsApi(kc, IP, port, cert.caCert);
    await pollUntil(async () => {
      const res = await kc.makeApiClient(ApiregistrationV1Api).readAPIService({ name: 'v1beta1.metrics.k8s.io' });
      return res.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
    }, { what: 'the metrics API to be Available', timeoutMs: 60_000, intervalMs: 200 });

    metrics = new ServiceMetrics(kc, pino({ level: 'silent' }), { intervalMs: 3_600_000 });
    // Someone watches every service (the first look takes the first sample).
    for (let i = 0; i < PODS; i += 10) {
      const { namespace, service } = podOf(i);
      await metrics.window(namespace, service);
    }
    for (let i = 0; i < 3; i += 1) await metrics.sample(); // warm-up
    const cpuMs: number[] = [];
    const wallMs: number[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      const cpu = process.cpuUsage();
      const start = performance.now();
      const read = await metrics.sample();
      wallMs.push(performance.now() - start);
      const used = process.cpuUsage(cpu);
      cpuMs.push((used.user + used.system) / 1000);
      if (read !== PODS) throw new Error(`a sample read ${String(read)} pods, not ${String(PODS)}`);
    }
    const one = await metrics.window(podOf(0).namespace, podOf(0).service);
    const last = one.samples.at(-1);
    if (!one.available || last?.pods.length !== 10) throw new Error(`a watched service's last sample has ${String(last?.pods.length)} pods, not 10`);

    cpuMs.sort((a, b) => a - b);
    wallMs.sort((a, b) => a - b);
    const row = (name: string, v: number[]) => `| ${name} | ${percentile(v, 50).toFixed(1)} | ${percentile(v, 95).toFixed(1)} | ${(v.at(-1) ?? Number.NaN).toFixed(1)} |\n`;
    process.stdout.write(`\nOne metrics sample: ${String(PODS)} pods, ${String(PODS / 10)} watched services, ${String(SAMPLES)} samples, ${String(cpus().length)} cores\n\n`);
    process.stdout.write('| measure | p50 (ms) | p95 (ms) | max (ms) |\n| --- | ---: | ---: | ---: |\n');
    process.stdout.write(row('api CPU per sample (user + system; target ≤ 200)', cpuMs));
    process.stdout.write(row('wall time per sample (through the aggregator)', wallMs));
  } finally {
    metrics?.stop();
    if (backend && backend.exitCode === null) {
      const exited = new Promise((resolve) => backend?.once('exit', resolve));
      backend.kill('SIGTERM');
      await exited;
    }
    spawnSync('ip', ['link', 'del', LINK], { stdio: 'ignore' });
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
