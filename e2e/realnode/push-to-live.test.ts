// Push to live on a real node: a real kubelet runs the product's own Kaniko build Job and
// the built app, pulled from a real registry with the tenant's robot, and a request reaches
// the app through Traefik. The registry takes only tokens from Harbor's token flow, scoped
// to a robot's own project. Real PostgreSQL, real git, real Kubernetes; GitHub and Harbor's
// management API and token service are faked (support.ts; docs/architecture.md#what-the-tests-simulate).
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { podEgressRules } from '../cluster/src/real-node.js';
import {
  BASE_DOMAIN, BUILD_VIEW_PATH, commitApp, createProject, createService, eventually, podReport, push, registry, registryToken, startRealWorld, viaIngress,
  waitForStatus, type RealWorld,
} from './support.js';
import { HttpHarborApi } from '@dangus/api/harbor-api';
import { signRegistryToken, type RegistryAccess } from '@dangus/api/test-support/fake-harbor';
import request from 'supertest';
import { ORIGIN, cookiesOf } from '@dangus/api/test-support/platform';
import { listen } from '@dangus/api/server';
import { expectVisible, openBrowser, screenshot, textOf } from '../ui/browser.js';
import { Final, readSse } from '../pipeline/support.js';
import type { DeploymentDto, ServiceDto, ServiceMetricsDto } from '@dangus/common';
import { quantityValue } from '@dangus/gitops-writer';

const GREETING = 'hello-from-an-env-var-3f9c1d';

/** The service page in Chromium, signed in as the test's user, shows the CPU and memory charts of its one pod. */
async function drawsMetrics(world: RealWorld, serviceId: string): Promise<void> {
  const server = await listen(world.platform.app, '127.0.0.1', 0);
  const { browser, page, pageErrors } = await openBrowser();
  try {
    const address = server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? String(address.port) : '0'}`;
    const [name = '', ...value] = world.cookie.split(';')[0]?.split('=') ?? [];
    await page.context().addCookies([{ name, value: value.join('='), url: origin }]);
    await page.goto(`${origin}/services/${serviceId}/metrics`);
    const panel = page.getByRole('region', { name: 'Metrics' });
    await expectVisible(panel.getByRole('img', { name: /^CPU of 1 pod\(s\) over the last hour, limit / }), 30_000);
    await expectVisible(panel.getByRole('img', { name: /^Memory of 1 pod\(s\) over the last hour, limit / }));
    expect(await textOf(panel)).toMatch(/Memory[\d.]+ MiB per pod · limit \d+ MiB/);
    await screenshot(page, 'service-metrics');
    expect(pageErrors).toEqual([]);
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The `access` claim of a registry token (its payload is not secret). */
function accessOf(token: string): RegistryAccess[] {
  return (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { access: RegistryAccess[] }).access;
}

/**
 * Pushes a one-layer image as `repo:v1` through the distribution API (each blob: POST an
 * upload, PUT its bytes with the digest; then PUT the manifest); returns every step's status
 * and the manifest's digest. The layer is an empty tar (1024 zero bytes), labelled `label`
 * in the config so two tenants' images differ.
 */
async function pushImage(world: RealWorld, repo: string, token: string, label: string): Promise<{ statuses: number[]; digest: string }> {
  const statuses: number[] = [];
  const layer = Buffer.alloc(1024);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { tenant: label } }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } });
  for (const blob of [layer, Buffer.from(config)]) {
    const start = await registry(world, `/v2/${repo}/blobs/uploads/`, token, { method: 'POST' });
    statuses.push(start.status);
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) return { statuses, digest: '' };
    const upload = new URL(location, `http://${world.node.registryHost}`);
    upload.searchParams.set('digest', sha256(blob));
    const put = await registry(world, `${upload.pathname}${upload.search}`, token, { method: 'PUT', body: blob, contentType: 'application/octet-stream' });
    statuses.push(put.status);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: Buffer.byteLength(config) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  });
  const put = await registry(world, `/v2/${repo}/manifests/v1`, token, { method: 'PUT', body: manifest, contentType: OCI_MANIFEST });
  statuses.push(put.status);
  return { statuses, digest: sha256(manifest) };
}

describe('push to live on a real node', () => {
  let world: RealWorld;

  beforeAll(async () => {
    world = await startRealWorld((line) => process.stderr.write(`[real-node] ${line}\n`));
  }, 600_000);
  afterAll(async () => {
    await world.close();
  }, 120_000);

  it('drops pod traffic to anything outside the pod range, installed before any pod', () => {
    const rules = podEgressRules();
    expect(rules).toContain('-A DANGUS-POD-EGRESS -d 10.88.0.0/16 -j RETURN');
    expect(rules).toContain('-A DANGUS-POD-EGRESS -j DROP');
  });

  it("lets a robot push and pull its own tenant's repositories only: the real registry refuses another tenant's", async () => {
    // Two tenants' Harbor projects and robots, made as the platform makes them.
    const harborApi = new HttpHarborApi({ url: world.harbor.url, username: world.harbor.admin.username, password: world.harbor.admin.password });
    const tenants = [];
    for (const name of ['dangus-e2e-tenant-a', 'dangus-e2e-tenant-b']) {
      await harborApi.ensureProject(name);
      const robot = await harborApi.createRobot(name, 'builder');
      const repo = `${name}/web`;
      // Each robot pushes an image to its own tenant's repository, and pulls it back.
      const token = await registryToken(world, robot, `repository:${repo}:push,pull`);
      expect(accessOf(token)).toEqual([{ type: 'repository', name: repo, actions: ['push', 'pull'] }]);
      const image = await pushImage(world, repo, token, name);
      expect(image.statuses).toEqual([202, 201, 202, 201, 201]);
      const pulled = await registry(world, `/v2/${repo}/manifests/v1`, token);
      expect(pulled.status).toBe(200);
      expect(pulled.headers.get('docker-content-digest')).toBe(image.digest);
      tenants.push({ robot, repo, token, image });
    }
    const [a, b] = tenants;
    if (!a || !b) throw new Error('two tenants expected');

    for (const [self, other] of [[a, b], [b, a]] as const) {
      // The token service grants a robot nothing on the other tenant's repository...
      const token = await registryToken(world, self.robot, `repository:${other.repo}:push,pull`);
      expect(accessOf(token)).toEqual([{ type: 'repository', name: other.repo, actions: [] }]);
      // ...so the registry refuses the pull, the blob upload and the manifest push.
      const pull = await registry(world, `/v2/${other.repo}/manifests/v1`, token);
      expect(pull.status).toBe(401);
      expect(pull.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      expect(((await pull.json()) as { errors: { code: string }[] }).errors.map((e) => e.code)).toEqual(['UNAUTHORIZED']);
      expect((await registry(world, `/v2/${other.repo}/blobs/uploads/`, token, { method: 'POST' })).status).toBe(401);
      const overwrite = await pushImage(world, other.repo, token, 'intruder');
      expect(overwrite.statuses).toEqual([401]);
      // The registry itself checks a token's scope: the robot's own token, valid on its own
      // repository, opens nothing of the other's.
      expect((await registry(world, `/v2/${other.repo}/manifests/v1`, self.token)).status).toBe(401);
      expect((await registry(world, `/v2/${other.repo}/blobs/uploads/`, self.token, { method: 'POST' })).status).toBe(401);
      // The other tenant's image is untouched.
      const theirs = await registry(world, `/v2/${other.repo}/manifests/v1`, other.token);
      expect(theirs.status).toBe(200);
      expect(theirs.headers.get('docker-content-digest')).toBe(other.image.digest);
    }

    // No token, or a token signed by a key the registry does not trust: refused. The same
    // claims signed with the trusted key pass, so the refusal is the signature's.
    expect((await registry(world, `/v2/${a.repo}/manifests/v1`, undefined)).status).toBe(401);
    const settings = world.node.registryToken;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: settings.issuer, sub: b.robot.name, aud: settings.service, exp: now + 300, nbf: now - 10, iat: now, jti: 'forged',
      access: [{ type: 'repository', name: a.repo, actions: ['pull'] }],
    };
    const forged = signRegistryToken(claims, { keyId: settings.keyId, key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
    const refused = await registry(world, `/v2/${a.repo}/manifests/v1`, forged);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { errors: { code: string }[] }).errors.map((e) => e.code)).toEqual(['UNAUTHORIZED']);
    const trusted = signRegistryToken(claims, { keyId: settings.keyId, key: createPrivateKey(settings.privateKeyPem) });
    expect((await registry(world, `/v2/${a.repo}/manifests/v1`, trusted)).status).toBe(200);
  }, 120_000);

  it('builds with Kaniko, pushes, pulls with the pull secret, probes, serves through Traefik, keeps /data, and survives a crashing push', async () => {
    const project = await createProject(world, 'shop');
    const service = await createService(world, project.id, { name: 'web', storageGb: 1, healthCheckPath: '/healthz' });
    await request(world.platform.app)
      .post(`/api/services/${service.id}/env`)
      .set({ Origin: ORIGIN, Cookie: world.cookie })
      .send({ key: 'GREETING', value: GREETING })
      .expect(201);

    // First push.
    // Its Dockerfile's last step records what a build step can see (support.ts).
    const first = await commitApp(world, { version: 'one', inspectBuild: true });
    const firstId = await push(world, service, first);
    const live = await waitForStatus(world, firstId, 'live');

    // The fetch step really cloned that commit from the git server, with the owner's token.
    expect(world.github.gitRequests).toContainEqual({ repo: `${world.login}/app`, login: world.login, service: 'git-upload-pack', status: 200 });
    expect(world.github.gitRequests.filter((r) => r.status !== 200)).toEqual([]);

    // Kaniko pushed {registry}/{tenant project}/{service}:{sha}; the registry says so.
    const harborProject = `dangus-${project.namespace}`;
    const robot = [...world.harbor.robots.values()].find((r) => r.project === harborProject);
    if (!robot) throw new Error(`no robot for ${harborProject}`);
    const pullToken = await registryToken(world, robot, `repository:${harborProject}/web:pull`);
    const tags = (await (await registry(world, `/v2/${harborProject}/web/tags/list`, pullToken)).json()) as { tags: string[] };
    expect(tags.tags).toContain(first);
    const manifest = await registry(world, `/v2/${harborProject}/web/manifests/${first}`, pullToken, { method: 'HEAD' });
    expect(manifest.status).toBe(200);
    const digest = manifest.headers.get('docker-content-digest');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(live.imageTag).toBe(`${world.node.registryHost}/${harborProject}/web:${first}@${digest ?? ''}`);
    // Without a token the registry refuses, and sends the client to the token service.
    const anonymous = await registry(world, `/v2/${harborProject}/web/manifests/${first}`, undefined, { method: 'HEAD' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain(`Bearer realm="${world.node.registryToken.realm}"`);
    // Kaniko pushed and the node's containerd pulled with tokens the tenant's robot got.
    const granted = (agent: RegExp, action: string) =>
      world.harbor.tokenGrants.filter(
        (g) => g.robot === robot.name && agent.test(g.userAgent) && g.access.some((x) => x.name === `${harborProject}/web` && x.actions.includes(action)),
      );
    expect(granted(/^kaniko\//, 'push')).not.toHaveLength(0);
    expect(granted(/^containerd\//, 'pull')).not.toHaveLength(0);

    // The stored build log is Kaniko's own output, and holds no secret.
    const [row] = await world.platform.db.query<{ build_logs: string }[]>('SELECT build_logs FROM deployments WHERE id = $1', [firstId]);
    const log = row?.build_logs ?? '';
    expect(log).toContain('Pushing image to');
    expect(log).toContain(`${harborProject}/web:${first}`);
    expect(log).not.toContain(robot.secret);
    expect(log).not.toContain(GREETING);

    // The app's pod pulled that image by digest, on the real node, and is ready through its probe.
    const pods = await world.core.listNamespacedPod({ namespace: project.namespace, labelSelector: 'app.kubernetes.io/name=web' });
    const running = pods.items.filter((p) => p.status?.phase === 'Running');
    expect(running).toHaveLength(1);
    const pod = running[0];
    expect(pod?.spec?.nodeName).toBe(world.node.name);
    expect(pod?.spec?.containers[0]?.image).toBe(live.imageTag);
    expect(pod?.status?.containerStatuses?.[0]?.imageID).toContain(digest ?? 'no digest');
    expect(pod?.status?.containerStatuses?.[0]?.ready).toBe(true);

    // Through Traefik at the service's host: the app answers with the env var's value and
    // counts visits in /data.
    const ingress = await world.networking.readNamespacedIngress({ namespace: project.namespace, name: 'web' });
    const host = ingress.spec?.rules?.[0]?.host ?? '';
    expect(host).toBe(`${service.subdomain}.${BASE_DOMAIN}`);
    const answer = await eventually('the app through Traefik', async () => {
      const res = await viaIngress(world, host, '/cgi-bin/app');
      return res.status === 200 ? res.body : undefined;
    }, 60_000);
    expect(answer).toContain('version=one');
    expect(answer).toContain(`greeting=${GREETING}`);
    expect(answer).toContain('visits=1');

    // No GitHub credential where Kaniko ran, as the kubelet ran it: what the build's own RUN
    // step saw of Kaniko's container (its process's environment, every mounted file, every
    // file holding a token's prefix) holds neither the owner's token nor its Basic header.
    // That it saw something is shown first: Kaniko's own variables and the registry config.
    const view = (await viaIngress(world, host, BUILD_VIEW_PATH)).body;
    const section = (name: string) => `\n${view.split(`== ${name}\n`)[1] ?? 'missing'}`.split('\n== ')[0]?.slice(1) ?? 'missing';
    expect(view).toMatch(/\n== end\n$/);
    expect(section('environ of pid 1').split('\n')).toContain(`DANGUS_DESTINATION=${world.node.registryHost}/${harborProject}/web:${first}`);
    expect(section('cmdline of pid 1')).toMatch(/^\/kaniko\/executor --context=dir:\/\/\/workspace /);
    const mounts = section('mounts');
    // (A Secret volume's files sit in a dated directory the kubelet links config.json to.)
    expect(mounts).toMatch(/\n--- file \/kaniko\/\.docker\/\S*config\.json\n\{"auths":/);
    expect(mounts).toContain('--- file /workspace/Dockerfile\nFROM scratch');
    expect(mounts).not.toMatch(/\/var\/run\/dangus|git-token/);
    expect(section('files holding a token prefix')).toBe('');
    const tokens = world.github.tokensOf(world.login);
    expect(tokens).toHaveLength(1);
    for (const token of tokens) {
      expect(view).not.toContain(token);
      expect(view).not.toContain(Buffer.from(`x-access-token:${token}`).toString('base64'));
    }

    // The namespace's guard rails were in force for the build and the app: Pod Security
    // `baseline` enforced, and a quota the pods were admitted against.
    const ns = await world.core.readNamespace({ name: project.namespace });
    expect(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('baseline');
    // The quota counts the app's pod (and the build pod until its phase is Succeeded).
    const quota = await eventually('the quota to count the app pod alone', async () => {
      const [q] = (await world.core.listNamespacedResourceQuota({ namespace: project.namespace })).items;
      return q?.status?.used?.pods === '1' ? q : undefined;
    }, 30_000);
    expect(quota.status?.hard?.pods).toBe('21');

    // CPU and memory of the running pod, from the real kubelet through metrics-server and
    // the metrics API, sampled by the api while the test looks, with the pod's limits.
    const metrics = await eventually('metrics of the app pod', async () => {
      const res = await request(world.platform.app).get(`/api/services/${service.id}/metrics`).set({ Cookie: world.cookie }).expect(200);
      const body = res.body as ServiceMetricsDto;
      return body.samples.some((s) => s.pods.some((p) => p.pod === pod?.metadata?.name && p.memoryBytes > 0)) ? body : undefined;
    }, 90_000);
    expect(metrics).toMatchObject({ available: true, reason: null, intervalSeconds: 2 });
    const figures = metrics.samples.flatMap((s) => s.pods).filter((p) => p.pod === pod?.metadata?.name && p.memoryBytes > 0);
    const limitBytes = quantityValue(pod?.spec?.containers[0]?.resources?.limits?.memory ?? '0');
    expect(metrics.limits.memoryBytes).toBe(limitBytes);
    expect(metrics.limits.cpuMillicores).toBe(quantityValue(pod?.spec?.containers[0]?.resources?.limits?.cpu ?? '0') * 1000);
    for (const f of figures) {
      // busybox httpd's working set: more than nothing, far less than its limit.
      expect(f.memoryBytes).toBeGreaterThan(64 * 1024);
      expect(f.memoryBytes).toBeLessThan(limitBytes);
      expect(f.cpuMillicores).toBeGreaterThanOrEqual(0);
      expect(f.cpuMillicores).toBeLessThan(metrics.limits.cpuMillicores);
    }
    // Samples are in time order, a sampling apart at least.
    const times = metrics.samples.map((s) => Date.parse(s.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // The service page draws them: one line per pod, the limit dashed.
    await drawsMetrics(world, service.id);

    // A second push that changes one file: a new image from Kaniko's layer cache for the
    // RUN step (the cache repository, with the tenant robot's credentials), the same volume.
    const second = await commitApp(world, { version: 'two' });
    const secondId = await push(world, service, second);
    await waitForStatus(world, secondId, 'live');
    const answerTwo = await eventually('version two through Traefik', async () => {
      const res = await viaIngress(world, host, '/cgi-bin/app');
      return res.status === 200 && res.body.includes('version=two') ? res.body : undefined;
    }, 60_000);
    expect(answerTwo).toContain('visits=2');
    const [secondRow] = await world.platform.db.query<{ build_logs: string }[]>('SELECT build_logs FROM deployments WHERE id = $1', [secondId]);
    expect(secondRow?.build_logs).toMatch(/Using caching version of cmd: RUN/);

    // A push of a commit the repository does not have: the fetch fails, says so with git's
    // own words, and the running version is untouched.
    const missing = 'f'.repeat(40);
    const badFetch = await waitForStatus(world, await push(world, service, missing), 'failed');
    expect(badFetch.reason).toMatch(/^fetching commit fffffff of https:\/\/github\.com\/octo-real\/app failed \(exit code 128\)/);
    const [badRow] = await world.platform.db.query<{ build_logs: string }[]>('SELECT build_logs FROM deployments WHERE id = $1', [badFetch.id]);
    expect(badRow?.build_logs).toMatch(/fatal: /);
    expect((await viaIngress(world, host, '/cgi-bin/app')).body).toContain('version=two');

    // A push whose app exits at once fails as crash-looping; version two answers again.
    const crashing = await commitApp(world, { version: 'three', crash: true });
    const failed = await waitForStatus(world, await push(world, service, crashing), 'failed');
    expect(failed.reason ?? '').toMatch(/crash/i);
    const after = await eventually('version two back through Traefik', async () => {
      const res = await viaIngress(world, host, '/cgi-bin/app');
      return res.status === 200 && res.body.includes('version=two') ? res.body : undefined;
    }, 120_000);
    expect(after).toContain(`greeting=${GREETING}`);

    // A live app whose process ends: the kubelet restarts the container (no rollout, no
    // rollback), and the lines of the run that ended are there with previous=true.
    const five = await commitApp(world, { version: 'five', stoppable: true });
    await waitForStatus(world, await push(world, service, five), 'live');
    await eventually('version five through Traefik', async () => {
      const res = await viaIngress(world, host, '/cgi-bin/app');
      return res.status === 200 && res.body.includes('version=five') ? res : undefined;
    }, 60_000);
    // The answer may be cut as httpd goes: what counts is the restart below.
    await viaIngress(world, host, '/cgi-bin/stop').catch(() => undefined);
    const restarted = await eventually('the app container to restart', async () => {
      const list = await world.core.listNamespacedPod({ namespace: project.namespace, labelSelector: 'app.kubernetes.io/name=web' });
      return list.items.find((p) => !p.metadata?.deletionTimestamp && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    }, 90_000);
    const server = await listen(world.platform.app, '127.0.0.1', 0);
    try {
      const address = server.address();
      const origin = `http://127.0.0.1:${typeof address === 'object' && address ? String(address.port) : '0'}`;
      const previous = await readSse(`${origin}/api/services/${service.id}/logs/stream?previous=true`, { Cookie: world.cookie }, (events) => events.some((e) => e.event === 'end'));
      expect(previous.status).toBe(200);
      const lines = previous.events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data) as { pod: string; line: string; timestamp: string });
      expect(lines.map((l) => l.line)).toContain('five: httpd stopped');
      expect(lines.every((l) => l.pod === restarted.metadata?.name)).toBe(true);
      expect(lines.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(l.timestamp))).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 900_000);

  it('builds a public repository for a user signed in without GitHub: "Deploy now" clones it anonymously; a private one is refused before it is pressed', async () => {
    // The local sign-in's user holds no GitHub token, as on a laptop without an OAuth app.
    const signIn = await request(world.platform.app).post('/auth/local').set({ Origin: ORIGIN }).expect(204);
    const cookie = cookiesOf(signIn.headers['set-cookie']);
    const as = { Origin: ORIGIN, Cookie: cookie };
    // The test app, also served as another owner's public repository.
    const publicRepo = 'octo-public/site';
    world.github.gitRepos.set(publicRepo, world.repo.bare);
    world.github.publicRepos.add(publicRepo);
    const sha = await commitApp(world, { version: 'public' });
    world.github.branches.set(`${publicRepo}#main`, { sha, message: 'a public version' });
    const project = await request(world.platform.app).post('/api/projects').set(as).send({ name: 'laptop' }).expect(201);
    const projectId = (project.body as { id: string }).id;
    const create = (name: string, repo: string) =>
      request(world.platform.app)
        .post(`/api/projects/${projectId}/services`)
        .set(as)
        .send({ name, repoUrl: `https://github.com/${repo}`, branch: 'main', dockerfilePath: 'Dockerfile', port: 8080 })
        .expect(201)
        .then((res) => res.body as ServiceDto);

    // A private repository (the first user's): the button is off with the reason before it is pressed, and the api refuses it in the same words.
    const hidden = await create('hidden', `${world.login}/app`);
    expect(hidden.can.deploy).toEqual({ ok: false, reason: expect.stringMatching(new RegExp(`^${world.login}/app is private or does not exist on GitHub`)) });
    const refused = await request(world.platform.app).post(`/api/services/${hidden.id}/deploy`).set(as).send({}).expect(409);
    expect(refused.body.error.message).toBe(hidden.can.deploy.reason);
    expect(await world.platform.db.query('SELECT id FROM deployments WHERE service_id = $1', [hidden.id])).toEqual([]);

    // The public one: "Deploy now" resolves the branch anonymously, and the build's fetch step clones it without a token.
    const site = await create('site', publicRepo);
    expect(site.can.deploy).toEqual({ ok: true, reason: null });
    const deployed = await request(world.platform.app).post(`/api/services/${site.id}/deploy`).set(as).send({}).expect(202);
    expect(deployed.body).toMatchObject({ commitSha: sha, status: 'pending', trigger: 'manual' });
    const id = (deployed.body as DeploymentDto).id;
    const live = await eventually('the public build to go live', async () => {
      const res = await request(world.platform.app).get(`/api/deployments/${id}`).set(as).expect(200);
      const d = res.body as DeploymentDto;
      if (d.status === 'failed') throw new Final(`the public build failed: ${d.reason ?? ''}\n${await podReport(world)}`);
      return d.status === 'live' ? d : undefined;
    }, 300_000);
    expect(live.imageTag).toContain(`/site:${sha}@sha256:`);
    const fetches = world.github.gitRequests.filter((r) => r.repo === publicRepo);
    expect(fetches).toContainEqual({ repo: publicRepo, login: null, service: 'git-upload-pack', status: 200 });
    expect(fetches.filter((r) => r.status !== 200 || r.login !== null)).toEqual([]);
  }, 600_000);
});
