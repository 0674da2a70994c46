/**
 * The applier as its own process (the in-cluster Deployment):
 *
 *   node --import tsx applier/src/main.ts (--repo <path> | --url <http(s) url> [--cache-dir <dir>])
 *     [--branch main] [--port 8081] [--host 0.0.0.0] [--resync-seconds 60] [--inventory-namespace dangus-system]
 *     [--override-manager kustomize-controller …]
 *
 * or, built, `node applier/dist/main.js …`. `--repo` reads a local
 * repository; `--url` fetches the api's smart-HTTP `/state.git` into the cache dir
 * (default `<tmpdir>/dangus-applier/state.git`) with the token of `STATE_REPO_TOKEN`. The kubeconfig is
 * `KUBECONFIG` when set, else the in-cluster service account, else ~/.kube/config.
 * `--override-manager` (repeatable; default `kustomize-controller`, an empty value for
 * none) names field managers whose fields it takes over: a handover from Flux.
 * Serves `POST /notify`, `GET /status`, `GET /healthz`.
 */
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Applier, type ApplierLogger } from './applier.js';
import { LocalRepoSource, type StateSource } from './git-source.js';
import { HttpRepoSource, redactUrl } from './http-source.js';
import { applierHttpHandler } from './http-handler.js';

const { values } = parseArgs({
  options: {
    repo: { type: 'string' },
    url: { type: 'string' },
    'cache-dir': { type: 'string' },
    branch: { type: 'string', default: 'main' },
    port: { type: 'string', default: '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    'resync-seconds': { type: 'string', default: '60' },
    'inventory-namespace': { type: 'string', default: 'dangus-system' },
    'override-manager': { type: 'string', multiple: true, default: ['kustomize-controller'] },
  },
});

const problems: string[] = [];
if ((values.repo === undefined) === (values.url === undefined)) {
  problems.push('exactly one of --repo <path of the state repo> and --url <http(s) URL of the state repo> is required');
}
if (values.url !== undefined && !isHttpUrl(values.url)) problems.push(`--url ${redactUrl(values.url)} is not an http(s) URL`);
if (values['cache-dir'] !== undefined && values.url === undefined) problems.push('--cache-dir goes with --url');
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`--port ${values.port} is not a port`);
const resyncSeconds = Number(values['resync-seconds']);
if (!(resyncSeconds > 0)) problems.push(`--resync-seconds ${values['resync-seconds']} is not a positive number`);
const token = process.env.APPLIER_TOKEN;
const loopback = ['127.0.0.1', '::1', 'localhost'].includes(values.host);
if (!loopback && (token === undefined || token.length < 16)) {
  problems.push(`--host ${values.host} serves /status (every tenant's objects) and /notify beyond this machine: set APPLIER_TOKEN (at least 16 characters)`);
}
if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(2);
}
const cacheDir = values['cache-dir'] ?? join(tmpdir(), 'dangus-applier', 'state.git');
const source: StateSource =
  values.url === undefined
    ? new LocalRepoSource({ dir: values.repo ?? '', branch: values.branch })
    : new HttpRepoSource({ url: values.url, token: process.env.STATE_REPO_TOKEN, cacheDir, branch: values.branch });
const where = values.url === undefined ? { repo: values.repo } : { url: redactUrl(values.url), cacheDir };

function isHttpUrl(url: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** pino's levels, from the LOG_LEVEL the api reads too (default `info`). */
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const minLevel = LEVELS[process.env.LOG_LEVEL ?? 'info'] ?? 30;

/** JSON lines on stdout, pino's shape, no dependency. */
function log(level: number, object: object, msg: string): void {
  if (level < minLevel) return;
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), name: 'applier', ...object, msg })}\n`);
}
const logger: ApplierLogger = {
  info: (object, msg) => log(30, object, msg),
  warn: (object, msg) => log(40, object, msg),
  error: (object, msg) => log(50, object, msg),
};

const kube = new KubeConfig();
try {
  kube.loadFromDefault();
} catch (error) {
  process.stderr.write(`cannot load the kubeconfig: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
const applier = new Applier({
  kube,
  source,
  logger,
  inventoryNamespace: values['inventory-namespace'],
  resyncIntervalMs: resyncSeconds * 1000,
  overrideManagers: values['override-manager'].filter((manager) => manager !== ''),
});
const server = createServer(applierHttpHandler(applier, { token }));
server.listen(port, values.host, () => {
  logger.info({ port, host: values.host, ...where }, 'applier listening');
  applier.start();
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void applier.stop().then(() => process.exit(0));
  });
}
