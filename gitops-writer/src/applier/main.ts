/**
 * The applier as its own process (the in-cluster Deployment):
 *
 *   node --import tsx gitops-writer/src/applier/main.ts --repo <path> [--branch main]
 *     [--port 8081] [--host 0.0.0.0] [--resync-seconds 60] [--inventory-namespace dangus-system]
 *
 * or, built, `node gitops-writer/dist/applier/main.js …`. The kubeconfig is
 * `KUBECONFIG` when set, else the in-cluster service account, else ~/.kube/config.
 * Serves `POST /notify`, `GET /status`, `GET /healthz`.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Applier, type ApplierLogger } from './applier.js';
import { LocalRepoSource } from './git-source.js';
import { applierHttpHandler } from './http-handler.js';

const { values } = parseArgs({
  options: {
    repo: { type: 'string' },
    branch: { type: 'string', default: 'main' },
    port: { type: 'string', default: '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    'resync-seconds': { type: 'string', default: '60' },
    'inventory-namespace': { type: 'string', default: 'dangus-system' },
  },
});

const problems: string[] = [];
if (values.repo === undefined) problems.push('--repo <path of the state repo> is required');
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`--port ${values.port} is not a port`);
const resyncSeconds = Number(values['resync-seconds']);
if (!(resyncSeconds > 0)) problems.push(`--resync-seconds ${values['resync-seconds']} is not a positive number`);
if (problems.length > 0 || values.repo === undefined) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(2);
}

/** JSON lines on stdout, pino's shape, no dependency. */
function log(level: number, object: object, msg: string): void {
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
  source: new LocalRepoSource({ dir: values.repo, branch: values.branch }),
  logger,
  inventoryNamespace: values['inventory-namespace'],
  resyncIntervalMs: resyncSeconds * 1000,
});
const server = createServer(applierHttpHandler(applier));
server.listen(port, values.host, () => {
  logger.info({ port, host: values.host, repo: values.repo }, 'applier listening');
  applier.start();
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void applier.stop().then(() => process.exit(0));
  });
}
