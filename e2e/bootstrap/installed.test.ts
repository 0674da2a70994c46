// The install as installed: bootstrap/overlays/prod applied to the control plane, then
// the api (DANGUS_ROLE=api), the controller (DANGUS_ROLE=controller) and the applier as
// three processes, each with the environment, the command and the ServiceAccount token
// the rendered overlay gives its pod, doing project create → push → live. Only what a
// pod has and a test machine has not is replaced, each named below (addresses, the data
// directories, the secrets' values, GitHub's URLs).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { DeploymentDto, ServiceDto } from '@dangus/common';
import { createTestDatabase } from '@dangus/api/test-support/database';
import { FakeGitHub } from '@dangus/api/test-support/fake-github';
import { deliveryHeaders, pushPayload, randomSha } from '@dangus/api/test-support/webhook-payloads';
import { e2eKubeConfig, e2eKubeconfigPath } from '../cluster/src/index.js';
import { freePorts, pollUntil } from '../cluster/src/util.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { startPodBehaviourWebhook, type PodBehaviourWebhook } from '../support/pod-behaviour.js';
import { kubeConfigAs, statusOf } from './kube-as.js';
import { find, kubectl, render, repoRoot, type RenderedObject } from './kustomize.js';

const SYSTEM = 'dangus-system';
const WAIT = { timeoutMs: 120_000, intervalMs: 500 };

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { key: string; optional?: boolean }; fieldRef?: { fieldPath: string } };
}
interface Container {
  command: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
}

const containerOf = (objects: RenderedObject[], name: string) =>
  ((find(objects, 'Deployment', name).spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0] as Container);

/** A container's environment as the kubelet builds it: the ConfigMap, then `env` (secrets and fields from `from`). */
function environment(objects: RenderedObject[], container: Container, from: { secrets: Record<string, string>; fields: Record<string, string> }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name ?? '';
    Object.assign(env, find(objects, 'ConfigMap', name).data as Record<string, string>);
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    const field = variable.valueFrom?.fieldRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (secret) {
      const value = from.secrets[secret.key];
      if (value !== undefined) env[variable.name] = value;
      else if (!secret.optional) throw new Error(`the test has no value for the secret key ${secret.key}`);
    } else if (field) {
      const value = from.fields[field.fieldPath];
      if (value === undefined) throw new Error(`the test has no value for the field ${field.fieldPath}`);
      env[variable.name] = value;
    }
  }
  return env;
}

/** `$(NAME)` in a container's args, as the kubelet expands them. */
const expand = (arg: string, env: Record<string, string>) => arg.replace(/\$\(([A-Z_]+)\)/g, (_m, name: string) => env[name] ?? `$(${name})`);

const run = promisify(execFile);

describe('the installed topology: api, controller and applier as the prod overlay runs them, with their own tokens', () => {
  const admin = e2eKubeConfig();
  let dir: string;
  let github: FakeGitHub | undefined;
  let pods: PodBehaviourWebhook | undefined;
  let api: ApiProcess | undefined;
  let controller: ApiProcess | undefined;
  let applier: ChildProcess | undefined;
  let applierOutput = '';
  let applierUrl: string;
  let apiOrigin = '';
  let cookie = '';
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  const secrets = {
    DATABASE_URL: '',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    STATE_REPO_TOKEN: randomBytes(24).toString('hex'),
    APPLIER_TOKEN: randomBytes(24).toString('hex'),
    GITHUB_CLIENT_ID: '',
    GITHUB_CLIENT_SECRET: '',
  };

  const writeKubeconfig = async (name: string, kc: KubeConfig) => {
    const path = join(dir, `${name}.kubeconfig`);
    await writeFile(path, kc.exportConfig(), { mode: 0o600 });
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-installed-'));
    await kubectl(['apply', '--server-side', '--field-manager=dangus-bootstrap-test', '-k', 'bootstrap/overlays/prod', '--kubeconfig', e2eKubeconfigPath()]);
    for (const name of ['dangus-api', 'dangus-controller', 'dangus-applier']) {
      await pollUntil(async () => (await statusOf(admin.makeApiClient(CoreV1Api).readNamespacedServiceAccount({ name, namespace: SYSTEM }))) === 200, { ...WAIT, what: `the ServiceAccount ${name}` });
    }
    const apiKubeconfig = await writeKubeconfig('api', await kubeConfigAs(admin, SYSTEM, 'dangus-api'));
    const controllerKubeconfig = await writeKubeconfig('controller', await kubeConfigAs(admin, SYSTEM, 'dangus-controller'));
    const applierKubeconfig = await writeKubeconfig('applier', await kubeConfigAs(admin, SYSTEM, 'dangus-applier'));
    // The run's one cluster may hold another test's inventory under the installed name.
    await statusOf(admin.makeApiClient(CoreV1Api).deleteNamespacedConfigMap({ name: 'dangus-applier-inventory', namespace: SYSTEM }));

    // The operator's PostgreSQL: a database of the run's server (the overlay's DATABASE_URL secret).
    database = await createTestDatabase();
    secrets.DATABASE_URL = database.url;
    const fake = new FakeGitHub();
    github = fake;
    await fake.start();
    secrets.GITHUB_CLIENT_ID = fake.clientId;
    secrets.GITHUB_CLIENT_SECRET = fake.clientSecret;
    pods = await startPodBehaviourWebhook(admin);
    const objects = await render('bootstrap/overlays/prod');
    const [apiPort, controllerPort, applierPort] = (await freePorts(3)) as [number, number, number];
    const origin = `http://127.0.0.1:${String(apiPort)}`;
    applierUrl = `http://127.0.0.1:${String(applierPort)}`;

    // The applier: its Deployment's command and args, its env; loopback instead of the pod's address.
    const applierContainer = containerOf(objects, 'dangus-applier');
    const applierEnv = {
      ...environment(objects, applierContainer, { secrets, fields: { 'metadata.namespace': SYSTEM } }),
      STATE_REPO_URL: `${origin}/state.git`, // the api's Service address in the cluster
      KUBECONFIG: applierKubeconfig, // the pod's mounted token
      PATH: process.env.PATH ?? '',
    };
    const args = (applierContainer.args ?? []).map((arg) => {
      if (arg.startsWith('--host=')) return '--host=127.0.0.1';
      if (arg.startsWith('--port=')) return `--port=${String(applierPort)}`;
      if (arg.startsWith('--cache-dir=')) return `--cache-dir=${join(dir, 'applier-cache')}`;
      return expand(arg, applierEnv);
    });
    const [command, ...commandArgs] = applierContainer.command;
    expect(command).toBe('node');
    const child = spawn(process.execPath, [...commandArgs, ...args], { cwd: repoRoot, env: applierEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    applier = child;
    const keep = (chunk: Buffer) => (applierOutput = (applierOutput + chunk.toString()).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    // The api and the controller: the overlay's ConfigMap and env; each a data dir of its
    // own (the api pod's emptyDir, the controller pod's volume), loopback, and GitHub's
    // URLs pointing at the fake. Both start at once, as their pods do.
    const processEnv = (name: string, role: string, port: number, kubeconfig: string) => {
      const container = containerOf(objects, name);
      expect(container.command).toEqual(['node', 'api/dist/main.js']);
      const env = environment(objects, container, { secrets, fields: {} });
      expect(env.DANGUS_ROLE).toBe(role);
      expect(env.APPLIER).toBe('external');
      const { DANGUS_DATA_DIR: _dataDir, STATE_REPO_DIR: _repoDir, ...rest } = env;
      return {
        ...rest,
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: origin, // the platform host: the api's, through the ingress
        APPLIER_NOTIFY_URL: `${applierUrl}/notify`, // the applier's Service address in the cluster
        KUBECONFIG: kubeconfig, // the pod's mounted token
        GITHUB_API_URL: fake.url,
        GITHUB_WEB_URL: fake.url,
      };
    };
    const [startedApi, startedController] = await Promise.allSettled([
      startApiProcess(processEnv('dangus-api', 'api', apiPort, apiKubeconfig), { port: apiPort }),
      startApiProcess(processEnv('dangus-controller', 'controller', controllerPort, controllerKubeconfig), { port: controllerPort }),
    ]);
    // Whichever started is stopped by afterAll, even if the other did not.
    if (startedApi.status === 'fulfilled') api = startedApi.value;
    if (startedController.status === 'fulfilled') controller = startedController.value;
    if (startedApi.status === 'rejected') throw startedApi.reason;
    if (startedController.status === 'rejected') throw startedController.reason;
    apiOrigin = startedApi.value.origin;
    const controllerOrigin = startedController.value.origin;
    await pollUntil(async () => ((await (await fetch(`${controllerOrigin}/status`)).json()) as { leader: { leading: boolean } | null }).leader?.leading === true, {
      what: 'the controller to lead',
      ...WAIT,
    });
    await pollUntil(async () => (await fetch(`${applierUrl}/healthz`)).ok, { what: `the applier to listen:\n${applierOutput}`, timeoutMs: 30_000, intervalMs: 200 });

    // Sign in through GitHub's OAuth flow, as a browser would.
    github.user = { id: 90_001, login: `installed${randomUUID().slice(0, 6)}` };
    const begin = await fetch(`${apiOrigin}/auth/github`, { redirect: 'manual' });
    const oauthCookie = begin.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const consent = await fetch(begin.headers.get('location') ?? '', { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    const done = await fetch(`${apiOrigin}${callback.pathname}${callback.search}`, { redirect: 'manual', headers: { Cookie: oauthCookie } });
    expect(done.headers.get('location')).toBe('/');
    cookie = done.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => c?.startsWith('dangus_session=')).join('; ');
    expect(cookie).not.toBe('');
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await controller?.stop();
    const child = applier;
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await pods?.stop();
    await github?.stop();
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${apiOrigin}${path}`, {
      method,
      headers: { Cookie: cookie, Origin: apiOrigin, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${String(res.status)} ${text}`);
    return JSON.parse(text) as T;
  };

  it('creates a project, takes a push and brings it live: the api takes it, the controller with its token commits and runs the pipeline, the applier with its token applies', async () => {
    if (!github || !pods || !controller) throw new Error('beforeAll did not finish');
    const project = await call<{ id: string; namespace: string }>('POST', '/api/projects', { name: 'installed' });
    const login = github.user.login;
    const service = await call<ServiceDto>('POST', `/api/projects/${project.id}/services`, {
      name: 'web',
      repoUrl: `https://github.com/${login}/web`,
      branch: 'main',
      dockerfilePath: 'Dockerfile',
      port: 8080,
    });
    const commit = randomSha();
    pods.set(commit, { log: 'built\n', runDuration: '1s' });
    const body = JSON.stringify(pushPayload({ repo: `${login}/web`, ref: 'refs/heads/main', after: commit, message: 'ship it' }));
    const delivered = await fetch(`${apiOrigin}/webhooks/github/${service.id}`, { method: 'POST', headers: deliveryHeaders(service.webhookSecret, body, 'push'), body });
    expect(delivered.status).toBe(202);
    const { deploymentId } = (await delivered.json()) as { deploymentId: string };

    const live = await pollUntil(
      async () => {
        const row = await call<DeploymentDto>('GET', `/api/deployments/${deploymentId}`);
        if (row.status === 'failed') throw new Error(`the deployment failed: ${row.reason ?? ''}\napplier:\n${applierOutput}\ncontroller:\n${controller?.output() ?? ''}`);
        return row.status === 'live' ? row : false;
      },
      { what: `deployment ${deploymentId} to go live\napplier:\n${applierOutput}\ncontroller:\n${controller.output()}`, timeoutMs: 120_000, intervalMs: 250 },
    );
    const running = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: project.namespace, name: 'web' });
    expect(running.spec?.template.spec?.containers[0]?.image).toContain(live.imageTag ?? 'no image');
    // Applied by the applier process, under its own field manager, at the repo's head.
    expect((running.metadata?.managedFields ?? []).filter((f) => f.operation === 'Apply').map((f) => f.manager)).toEqual(['dangus-applier']);
    const status = (await (await fetch(`${applierUrl}/status`, { headers: { Authorization: `Bearer ${secrets.APPLIER_TOKEN}` } })).json()) as { appliedCommit: string; errors: unknown[] };
    const head = await call<{ head: string }>('GET', '/api/system/state-repo');
    expect(status.appliedCommit).toBe(head.head);
    expect(status.errors).toEqual([]);
    // The commit is the controller's (in its own repository), served by the api's mirror.
    const { stdout } = await run('git', ['--git-dir', join(controller.dataDir, 'state-repo'), 'rev-parse', 'refs/heads/main']);
    expect(stdout.trim()).toBe(head.head);

    // The api reads, with its own read-only token, what the owner looks at: the service's
    // Events and the project's quota usage.
    await call<unknown[]>('GET', `/api/services/${service.id}/events`);
    const usage = await call<{ resource: string }[]>('GET', `/api/projects/${project.id}/usage`);
    expect(usage.length).toBeGreaterThan(0);
  });
});
