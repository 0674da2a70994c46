/**
 * The real-node world: a control plane of its own with a real node (kubelet, containerd,
 * registry, Traefik), the api in-process against it, the fake GitHub serving the test
 * app's repository over HTTPS with GitHub's token check, and the fake Harbor, whose token
 * service gives the registry's clients tokens scoped to their robot's project, as Harbor's
 * does. Only GitHub and Harbor's management API (and its token service) are fakes.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import request from 'supertest';
import type { DeploymentDto, ServiceDto } from '@dangus/common';
import { FakeGitHub } from '@dangus/api/test-support/fake-github';
import { FakeHarbor } from '@dangus/api/test-support/fake-harbor';
import { ORIGIN, startTestPlatform, type TestPlatform } from '@dangus/api/test-support/platform';
import { DEFAULT_UI_DIR } from '@dangus/api/server';
import { deliveryHeaders, pushPayload } from '@dangus/api/test-support/webhook-payloads';
import { createServingCert, startCluster, type Cluster } from '../cluster/src/index.js';
import { GIT_IMAGE, NODE_IP, type RealNode } from '../cluster/src/real-node.js';
import { LOCAL_PATH_CLASS } from '../cluster/src/k3s-node.js';
import { Final, eventually } from '../pipeline/support.js';

export { eventually };

const run = promisify(execFile);

/** The StorageClass of the tier's volumes: k3s's, local-path-provisioner's `local-path`. */
export const STORAGE_CLASS = LOCAL_PATH_CLASS;
export const BASE_DOMAIN = 'apps.dangus.test';

export interface RealWorld {
  cluster: Cluster;
  node: RealNode;
  platform: TestPlatform;
  github: FakeGitHub;
  harbor: FakeHarbor;
  kube: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  networking: NetworkingV1Api;
  cookie: string;
  login: string;
  /** A work tree of the test app's repository, and the bare repository the fake GitHub serves. */
  repo: { work: string; bare: string; name: string };
  dir: string;
  /** With `sharedRobot`: host:port of the registry that takes only the shared account. */
  sharedRegistryHost?: string;
  close(): Promise<void>;
}

/**
 * The world of the real-node tests. By default each tenant gets its own Harbor project and
 * robot (the fake Harbor's API, the token flow); with `sharedRobot`, every tenant shares
 * that one account (no Harbor admin settings) on a registry that takes only it (htpasswd),
 * which `RealWorld.sharedRegistryHost` names.
 */
export async function startRealWorld(
  log: (line: string) => void,
  options: {
    sharedRobot?: { username: string; password: string };
    /** Runs once the node is up, before the platform starts: more settings, and what to stop at the end. */
    beforePlatform?: (node: RealNode) => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>;
  } = {},
): Promise<RealWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-realnode-'));
  const cluster = await startCluster({ realNode: true, log });
  const cleanups: (() => Promise<void>)[] = [() => cluster.stop(), () => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const node = cluster.realNode;
    if (!node) throw new Error('the cluster has no real node');
    const kube = new KubeConfig();
    kube.loadFromFile(cluster.kubeconfigPath);

    // The registry sends its clients (Kaniko, the node's containerd, the tests) to Harbor's
    // token service for tokens, on the node IP where the registry's realm points.
    const harbor = new FakeHarbor();
    await harbor.start();
    cleanups.push(() => harbor.stop());
    await harbor.startTokenService(node.registryToken);

    // The build fetches over HTTPS, as from GitHub: a certificate for the node IP from a
    // CA of the test's own, which the git image (and nothing else) trusts.
    const tls = await createServingCert(join(dir, 'git-tls'), { name: 'fake-github-git', ips: [NODE_IP] });
    await node.trustGitCa([await readFile(tls.caCert, 'utf8')]);
    const github = new FakeGitHub();
    await github.start();
    cleanups.push(() => github.stop());
    const gitOrigin = await github.startGitServer({ host: NODE_IP, cert: await readFile(tls.cert), key: await readFile(tls.key) });

    const extra = options.beforePlatform ? await options.beforePlatform(node) : null;
    if (extra) cleanups.push(extra.stop);
    const shared = options.sharedRobot;
    const sharedRegistryHost = shared ? await node.startPasswordRegistry([shared]) : undefined;
    const registryEnv: Record<string, string> = shared && sharedRegistryHost
      ? { HARBOR_HOST: sharedRegistryHost, HARBOR_USERNAME: shared.username, HARBOR_PASSWORD: shared.password }
      : { HARBOR_URL: harbor.url, HARBOR_ADMIN_USERNAME: harbor.admin.username, HARBOR_ADMIN_PASSWORD: harbor.admin.password, HARBOR_HOST: node.registryHost };
    const platform = await startTestPlatform(
      {
        ...registryEnv,
        GIT_IMAGE,
        GIT_SOURCE_URL: gitOrigin,
        // The registry and the git server are on the node IP, which tenant egress denies
        // (kube-router enforces it): builds, and only builds, may reach it.
        BUILD_EGRESS_CIDR: `${NODE_IP}/32`,
        STORAGE_CLASS,
        BASE_DOMAIN,
        BUILD_DEADLINE_SECONDS: '600',
        METRICS_SAMPLE_SECONDS: '2',
        // The local sign-in besides GitHub's: its user has no GitHub token (public repositories).
        AUTH_LOCAL: 'true',
        // The registry's push notifications (a build ends when its image is stored).
        REGISTRY_WEBHOOK_TOKEN: node.registryNotifications.token,
        ...extra?.env,
      },
      { cluster: { kubeconfig: cluster.kubeconfigPath, tuning: { resyncMs: 2_000 } }, github, uiDir: DEFAULT_UI_DIR },
    );
    cleanups.push(() => platform.close());
    // The platform's HTTP side where the registry sends its notifications (loopback).
    const notifyServer = platform.app.listen(node.registryNotifications.port, '127.0.0.1');
    await new Promise((resolve, reject) => notifyServer.once('listening', resolve).once('error', reject));
    cleanups.push(async () => {
      notifyServer.closeAllConnections();
      await new Promise((resolve) => notifyServer.close(resolve));
    });
    const login = 'octo-real';
    const cookie = await platform.signIn(login, 7_700_001);

    const repo = { name: 'app', work: join(dir, 'work'), bare: join(dir, 'repos', login, 'app.git') };
    await mkdir(repo.bare, { recursive: true });
    await run('git', ['init', '--quiet', '--bare', '-b', 'main', repo.bare]);
    await run('git', ['init', '--quiet', '-b', 'main', repo.work]);
    github.gitRepos.set(`${login}/${repo.name}`, repo.bare);

    return {
      cluster, node, platform, github, harbor, kube,
      core: kube.makeApiClient(CoreV1Api),
      apps: kube.makeApiClient(AppsV1Api),
      batch: kube.makeApiClient(BatchV1Api),
      networking: kube.makeApiClient(NetworkingV1Api),
      cookie, login, repo, dir, close,
      ...(sharedRegistryHost ? { sharedRegistryHost } : {}),
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface AppVersion {
  /** Printed by the app in its answer. */
  version: string;
  /** When true the container exits at once (a crash loop). */
  crash?: boolean;
  /**
   * When true httpd runs under a shell that prints `{version}: httpd stopped` and exits 1
   * when httpd ends, and `GET /cgi-bin/stop` ends httpd: a live app that crashes on demand.
   */
  stoppable?: boolean;
  /**
   * When set, the entrypoint runs httpd in the background and prints numbered lines
   * (`line 1`, `line 2`, ...) to stdout at this rate (a whole number; exact when up to 10
   * or a multiple of 10): each second, min(rate, 10) bursts 80 ms apart.
   */
  linesPerSecond?: number;
  /**
   * When true, a last RUN step (run by Kaniko, inside Kaniko's container, as every RUN is)
   * writes what a Dockerfile's steps can see to /www/build-view.txt, served by the app:
   * see BUILD_VIEW_SCRIPT.
   */
  inspectBuild?: boolean;
  /** When set, the image runs as this user (`USER` in the Dockerfile) and the app prints `uid=`. */
  user?: number;
  /** More CGI scripts under /www/cgi-bin/, by name (s3-app.ts: an S3 client in busybox sh). */
  cgi?: Record<string, string>;
}

/** Where the app serves what its build could see (with `inspectBuild`). */
export const BUILD_VIEW_PATH = '/build-view.txt';

/**
 * What a Dockerfile's RUN step sees of the container the kubelet ran Kaniko in: the
 * environment and command line of the container's process 1 (Kaniko's executor) and of the
 * step itself, every file under every mount of that container but /proc, /sys and /dev's
 * own (each shown whole, or named when over 256 KiB), and every file of the whole
 * filesystem that holds a GitHub token's prefix. The prefix is put together at run time
 * so the script does not find itself.
 */
const BUILD_VIEW_SCRIPT = [
  `out=/www${BUILD_VIEW_PATH}`,
  'busybox mkdir -p /www',
  'exec > "$out" 2>&1',
  'echo "== environ of pid 1"',
  "busybox tr '\\0' '\\n' < /proc/1/environ",
  'echo "== cmdline of pid 1"',
  "busybox tr '\\0' ' ' < /proc/1/cmdline; echo",
  'echo "== environ of this step"',
  'busybox env',
  'echo "== mounts"',
  "busybox awk '{print $5}' /proc/1/mountinfo | while read -r mp; do",
  '  case "$mp" in /|/proc|/proc/*|/sys|/sys/*|/dev|/dev/pts|/dev/mqueue|/dev/shm) continue;; esac',
  '  echo "-- mount $mp"',
  '  busybox find "$mp" -type f | while read -r f; do',
  '    size=$(busybox wc -c < "$f")',
  '    if [ "$size" -gt 262144 ]; then echo "--- file $f (large: $size bytes)"; else echo "--- file $f"; busybox cat "$f"; echo; fi',
  '  done',
  'done',
  'echo "== files holding a token prefix"',
  'prefix="gh""o_"',
  'busybox find / \\( -path /proc -o -path /sys -o -path "$out" \\) -prune -o -type f -exec busybox grep -l -s -F "$prefix" {} + || true',
  'echo "== end"',
  '',
].join('\n');

/**
 * Commits the test app and pushes it to the bare repository; returns the commit id. The
 * image is `FROM scratch`: Debian's static busybox serving HTTP, a CGI script printing its
 * version, an env var and a counter kept under /data. A RUN step between the two COPYs
 * (busybox writes the health file and an 8 MB asset) is what Kaniko's layer cache keeps:
 * a push that changes only the script reuses it.
 */
export async function commitApp(world: RealWorld, app: AppVersion): Promise<string> {
  const { work, bare } = world.repo;
  await rm(join(work, 'bin'), { recursive: true, force: true });
  await rm(join(work, 'www'), { recursive: true, force: true });
  await mkdir(join(work, 'bin'), { recursive: true });
  await mkdir(join(work, 'www', 'cgi-bin'), { recursive: true });
  await copyFile('/bin/busybox', join(work, 'bin', 'busybox'));
  await chmod(join(work, 'bin', 'busybox'), 0o755);
  const tools = ['sh', 'wc', 'cat', ...(app.linesPerSecond !== undefined ? ['usleep'] : []), ...(app.user !== undefined ? ['id'] : [])];
  for (const tool of tools) await symlink('busybox', join(work, 'bin', tool));
  await writeFile(
    join(work, 'www', 'cgi-bin', 'app'),
    [
      '#!/bin/sh',
      'echo "Content-Type: text/plain"',
      'echo ""',
      `echo "version=${app.version}"`,
      'echo "greeting=$GREETING"',
      // A preview's own address (issue 35); empty for a service.
      'echo "preview=$DANGUS_PREVIEW_URL"',
      'echo "$REQUEST_METHOD" >> /data/visits',
      'echo "visits=$(wc -l < /data/visits)"',
      ...(app.user !== undefined ? ['echo "uid=$(id -u)"'] : []),
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  for (const [name, script] of Object.entries(app.cgi ?? {})) await writeFile(join(work, 'www', 'cgi-bin', name), script, { mode: 0o755 });
  let entrypoint = '["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]';
  if (app.crash) entrypoint = `["/bin/busybox", "sh", "-c", "echo starting ${app.version}; echo cannot start >&2; exit 3"]`;
  else if (app.linesPerSecond !== undefined) entrypoint = JSON.stringify(['/bin/busybox', 'sh', '-c', linesLoop(app.linesPerSecond)]);
  else if (app.stoppable) {
    entrypoint = JSON.stringify([
      '/bin/busybox', 'sh', '-c',
      `/bin/busybox httpd -f -v -p 8080 -h /www & echo $! > /data/httpd.pid; wait $!; echo "${app.version}: httpd stopped"; exit 1`,
    ]);
    await writeFile(
      join(work, 'www', 'cgi-bin', 'stop'),
      ['#!/bin/sh', 'echo "Content-Type: text/plain"', 'echo ""', 'echo stopping', 'kill "$(cat /data/httpd.pid)"', ''].join('\n'),
      { mode: 0o755 },
    );
  }
  await rm(join(work, 'inspect.sh'), { force: true });
  if (app.inspectBuild) await writeFile(join(work, 'inspect.sh'), BUILD_VIEW_SCRIPT);
  await writeFile(
    join(work, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY bin/ /bin/',
      'RUN ["/bin/busybox", "sh", "-c", "mkdir -p /www && echo ok > /www/healthz && busybox dd if=/dev/zero of=/www/asset bs=1M count=8 2>/dev/null"]',
      'COPY www/ /www/',
      ...(app.inspectBuild ? ['COPY inspect.sh /inspect.sh', 'RUN ["/bin/busybox", "sh", "/inspect.sh"]'] : []),
      'EXPOSE 8080',
      ...(app.user !== undefined ? [`USER ${String(app.user)}`] : []),
      `ENTRYPOINT ${entrypoint}`,
      '',
    ].join('\n'),
  );
  const git = (...args: string[]) => run('git', ['-C', work, ...args]);
  await git('add', '-A');
  await git('-c', 'user.name=Octo Real', '-c', 'user.email=octo@example.test', 'commit', '--quiet', '--allow-empty', '-m', `app ${app.version}`);
  await git('push', '--quiet', bare, 'HEAD:refs/heads/main');
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}

/**
 * httpd in the background, then numbered lines on stdout, `rate` a second (busybox sh and
 * usleep): each second (a background usleep times it) up to 10 bursts of lines 80 ms apart.
 */
function linesLoop(rate: number): string {
  if (!Number.isInteger(rate) || rate < 1) throw new Error(`linesPerSecond must be a whole number above 0, not ${String(rate)}`);
  const ticks = Math.min(10, rate);
  const burst = Math.round(rate / ticks);
  const list = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1)).join(' ');
  // PID 1 ignores SIGTERM unless trapped: the trap lets a rollout stop the old pod at once.
  return (
    'trap "exit 0" TERM; /bin/busybox httpd -f -v -p 8080 -h /www & i=0; ' +
    `while :; do usleep 1000000 & s=$!; for t in ${list(ticks)}; do for j in ${list(burst)}; do i=$((i+1)); echo line $i; done; ` +
    `usleep ${String(Math.round(800_000 / ticks))}; done; wait $s; done`
  );
}

export async function createProject(world: RealWorld, name: string): Promise<{ id: string; namespace: string }> {
  const res = await request(world.platform.app).post('/api/projects').set({ Origin: ORIGIN, Cookie: world.cookie }).send({ name }).expect(201);
  return res.body as { id: string; namespace: string };
}

export async function createService(
  world: RealWorld,
  projectId: string,
  body: Record<string, unknown>,
): Promise<ServiceDto & { repo: string }> {
  const repo = `${world.login}/${world.repo.name}`;
  const res = await request(world.platform.app)
    .post(`/api/projects/${projectId}/services`)
    .set({ Origin: ORIGIN, Cookie: world.cookie })
    .send({ repoUrl: `https://github.com/${repo}`, branch: 'main', dockerfilePath: 'Dockerfile', port: 8080, ...body })
    .expect(201);
  return { ...(res.body as ServiceDto), repo };
}

/** A signed push delivery, as GitHub sends it; returns the deployment's id. */
export async function push(world: RealWorld, service: ServiceDto & { repo: string }, sha: string): Promise<string> {
  const body = JSON.stringify(pushPayload({ repo: service.repo, ref: 'refs/heads/main', after: sha, message: `commit ${sha.slice(0, 7)}` }));
  const res = await request(world.platform.app).post(`/webhooks/github/${service.id}`).set(deliveryHeaders(service.webhookSecret, body, 'push')).send(body);
  if (res.status !== 202 && res.status !== 200) throw new Error(`push answered ${res.status}: ${res.text}`);
  return String((res.body as { deploymentId: unknown }).deploymentId);
}

export async function deployment(world: RealWorld, id: string): Promise<DeploymentDto> {
  const res = await request(world.platform.app).get(`/api/deployments/${id}`).set({ Cookie: world.cookie }).expect(200);
  return res.body as DeploymentDto;
}

/** Waits for the deployment to end `status`; fails fast when it ends otherwise. */
export async function waitForStatus(world: RealWorld, id: string, status: 'live' | 'failed', timeoutMs = 300_000): Promise<DeploymentDto> {
  return eventually(`deployment ${id} to be ${status}`, async () => {
    const d = await deployment(world, id);
    if (d.status === status) return d;
    if (d.status === 'live' || d.status === 'failed') {
      const logs = await world.platform.db.query<{ build_logs: string | null }[]>('SELECT build_logs FROM deployments WHERE id = $1', [id]);
      throw new Final(
        `deployment ${id} ended ${d.status}${d.reason ? ` (${d.reason})` : ''}\nbuild log:\n${logs[0]?.build_logs ?? ''}\n` +
          (await podReport(world)),
      );
    }
    return undefined;
  }, timeoutMs);
}

/** GET through Traefik with a Host header (an ingress rule's host); loopback only. */
export async function viaIngress(world: RealWorld, host: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, world.node.ingressUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { Host: host }, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: GET ${url.href} (Host: ${host})`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A token for `scope` (e.g. `repository:p/web:pull`) from the realm the registry names, as a
 * registry client gets one: the robot's basic credentials, the registry's service.
 */
export async function registryToken(world: RealWorld, robot: { name: string; secret: string }, scope: string): Promise<string> {
  const { realm, service } = world.node.registryToken;
  const res = await fetch(`${realm}?${new URLSearchParams({ service, scope }).toString()}`, {
    headers: { Authorization: `Basic ${Buffer.from(`${robot.name}:${robot.secret}`).toString('base64')}` },
  });
  if (res.status !== 200) throw new Error(`the token service answered ${String(res.status)}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** A registry call (plain HTTP on the node IP) with a bearer token, or none. */
export async function registry(
  world: RealWorld,
  path: string,
  token: string | undefined,
  init: { method?: string; body?: Uint8Array | string; contentType?: string } = {},
): Promise<Response> {
  return fetch(`http://${world.node.registryHost}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...(init.contentType === undefined ? {} : { 'Content-Type': init.contentType }),
      Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

/** Every tenant pod's containers and their states, and the recent events: for a failure's message. */
export async function podReport(world: RealWorld): Promise<string> {
  const lines: string[] = [];
  const pods = await world.core.listPodForAllNamespaces();
  for (const pod of pods.items) {
    const ns = pod.metadata?.namespace ?? '';
    if (ns === 'kube-system' || ns === 'default') continue;
    lines.push(`pod ${ns}/${pod.metadata?.name ?? ''} ${pod.status?.phase ?? ''} on ${pod.spec?.nodeName ?? '(none)'}`);
    for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      lines.push(`  ${c.name}: ${JSON.stringify(c.state)} last=${JSON.stringify(c.lastState)}`);
      const text = await world.core
        .readNamespacedPodLog({ namespace: ns, name: pod.metadata?.name ?? '', container: c.name, tailLines: 30 })
        .catch((error: unknown) => `(no log: ${String(error)})`);
      lines.push(...text.split('\n').map((l) => `    | ${l}`));
    }
  }
  const events = await world.core.listEventForAllNamespaces();
  for (const e of events.items.slice(-40)) {
    lines.push(`event ${e.involvedObject.namespace ?? ''}/${e.involvedObject.name ?? ''} ${e.reason ?? ''}: ${e.message ?? ''}`);
  }
  return lines.join('\n');
}
