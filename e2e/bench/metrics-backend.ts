/**
 * The metrics API for the metrics benchmark (e2e/bench/metrics.ts): an aggregated API
 * server for `metrics.k8s.io/v1beta1` that answers a list of pod metrics shaped as
 * metrics-server's (nanocores, kibibytes, the pods' labels, timestamp and window), for
 * `--pods` app pods in namespaces of ten. It runs in a process of its own so that its CPU
 * is not the api's. Prints `listening <port>` when ready.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';
import { podOf } from './metrics-pods.js';

const { values: args } = parseArgs({
  options: { ip: { type: 'string' }, pods: { type: 'string', default: '1000' }, cert: { type: 'string' }, key: { type: 'string' } },
});
const PODS = Number(args.pods);

function list(): string {
  const now = new Date();
  const items = Array.from({ length: PODS }, (_, i) => {
    const { namespace, service, pod } = podOf(i);
    return {
      metadata: {
        name: pod,
        namespace,
        creationTimestamp: now.toISOString(),
        labels: { 'app.kubernetes.io/name': service, 'app.kubernetes.io/managed-by': 'dangus', 'dangus.cloud/role': 'app', 'pod-template-hash': '5d8c7b9f4' },
      },
      timestamp: new Date(now.getTime() - 4_000).toISOString(),
      window: '10.512s',
      containers: [{ name: 'app', usage: { cpu: `${String(1_000_000 + ((i * 7919) % 90_000_000))}n`, memory: `${String(20_000 + ((i * 104_729) % 200_000))}Ki` } }],
    };
  });
  return JSON.stringify({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items });
}

const discovery = JSON.stringify({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'metrics.k8s.io/v1beta1',
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
});

const server = createServer({ cert: readFileSync(args.cert ?? ''), key: readFileSync(args.key ?? '') }, (req, res) => {
  const path = (req.url ?? '').split('?')[0];
  const body = path === '/apis/metrics.k8s.io/v1beta1/pods' ? list() : path === '/apis/metrics.k8s.io/v1beta1' ? discovery : null;
  if (body === null) {
    // The aggregator's health and discovery probes of other paths.
    res.writeHead(path === '/healthz' || path === '/readyz' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});
server.listen(0, args.ip, () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? String(address.port) : '0'}\n`);
});
// The aggregator keeps connections open: leave at once.
process.on('SIGTERM', () => process.exit(0));
