import type { Server } from 'node:http';
import request from 'supertest';
import { NetworkingV1Api } from '@kubernetes/client-node';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { listen } from '@dangus/api/server';
import { secretKeysGiven } from '@dangus/gitops-writer/test-support/secret-keys';
import {
  createProject,
  createService,
  deployment,
  eventually,
  maybe,
  push,
  readSse,
  sha,
  startWorld,
  waitForStatus,
  type PipelineWorld,
} from './support.js';

const BUILD_LOG = 'INFO Retrieving image manifest node:24\nINFO Executing 3 build triggers\nINFO using token s3cr3t-env-value-42 for npm\nINFO Pushed image\n';

describe('push to live on the real control plane', () => {
  let world: PipelineWorld;
  let project: { id: string; namespace: string };
  let server: Server | undefined;
  let origin: string;

  beforeAll(async () => {
    world = await startWorld();
    project = await createProject(world, 'shop');
    server = await listen(world.platform.app, '127.0.0.1', 0);
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? String(address.port) : '0'}`;
  });

  /**
   * The commit statuses GitHub got for `commit`, once the last is final: they are reported
   * after the deployment's row changes, not in its transaction.
   */
  const settledStatuses = (commit: string) =>
    eventually(`a final commit status for ${commit.slice(0, 7)}`, () => {
      const statuses = world.platform.github.statuses.filter((s) => s.sha === commit);
      return Promise.resolve(statuses.length > 0 && statuses.at(-1)?.state !== 'pending' ? statuses : undefined);
    });

  afterAll(async () => {
    const open = server;
    if (open) await new Promise((resolve) => open.close(resolve));
    await world.close();
  });

  it('a push to a branch with a slash builds, rolls out and goes live, with its log stored, streamed and redacted', async () => {
    const service = await createService(world, project.id, 'web', 'release/v2');
    await request(world.platform.app)
      .post(`/api/services/${service.id}/env`)
      .set({ Origin: ORIGIN, Cookie: world.cookie })
      .send({ key: 'NPM_TOKEN', value: 's3cr3t-env-value-42' })
      .expect(201);
    const commit = sha();
    world.pods.set(commit, { log: BUILD_LOG, logInterval: '300ms', runDuration: '2s' });

    const answer = await push(world, service, commit, { message: 'Ship the shop' });
    expect(answer.status).toBe(202);
    const id = String(answer.body.deploymentId);

    // The build Job is in the cluster, pinned to the commit, with its own Secret.
    const jobName = `web-build-${commit.slice(0, 7)}`;
    const job = await eventually('the build Job', () => maybe(() => world.batch.readNamespacedJob({ namespace: project.namespace, name: jobName })));
    expect(job.metadata?.labels?.['dangus.cloud/deployment']).toBe(id);
    // The source is fetched at the commit by the init container, the only one given the git token.
    const podSpec = job.spec?.template.spec;
    const fetch = podSpec?.initContainers?.[0];
    expect(fetch?.name).toBe('fetch-source');
    expect(fetch?.env).toEqual(
      expect.arrayContaining([
        { name: 'DANGUS_SOURCE_URL', value: `https://github.com/${service.repo}.git` },
        { name: 'DANGUS_COMMIT_SHA', value: commit },
      ]),
    );
    expect(fetch?.volumeMounts?.map((m) => m.name).sort()).toEqual(['git-token', 'workspace']);
    expect(podSpec?.volumes?.find((v) => v.name === 'git-token')?.secret).toEqual(expect.objectContaining({ secretName: jobName }));
    // Where the Dockerfile's steps run there is no GitHub credential. Of the build Secret
    // (which holds the token), the Job as the cluster stored it gives Kaniko the registry
    // config alone, by every route: env, envFrom, mounted volumes' items (secret or projected).
    if (!podSpec) throw new Error('the build Job has no pod spec');
    const kaniko = podSpec.containers.find((c) => c.name === 'kaniko');
    expect(kaniko?.args).toEqual(expect.arrayContaining(['--context=dir:///workspace', '--digest-file=/dev/termination-log']));
    expect(secretKeysGiven(podSpec, 'fetch-source')).toEqual([{ secret: jobName, key: 'git-token', via: 'volume git-token' }]);
    expect(secretKeysGiven(podSpec, 'kaniko')).toEqual([{ secret: jobName, key: '.dockerconfigjson', via: 'volume registry-credentials' }]);
    expect(kaniko?.envFrom).toBeUndefined();
    expect(JSON.stringify(kaniko?.env ?? [])).not.toMatch(/GIT_|git-token/);
    expect(kaniko?.volumeMounts?.map((m) => m.name).sort()).toEqual(['registry-credentials', 'workspace']);
    expect(kaniko?.securityContext?.capabilities?.drop).toEqual(['NET_RAW']);
    const secret = await world.core.readNamespacedSecret({ namespace: project.namespace, name: jobName });
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['.dockerconfigjson', 'git-token']);
    const gitToken = Buffer.from(secret.data?.['git-token'] ?? '', 'base64').toString();
    expect(gitToken).toMatch(/^gho_/);
    expect(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString()).not.toContain(gitToken);
    expect(JSON.stringify(kaniko)).not.toContain(gitToken);

    // The tenant's pods reach DNS and the internet, but no private or link-local address
    // (IPv4 and IPv6), no cloud metadata, and no node (e2e/pipeline/node-egress.test.ts).
    const egress = await world.kube.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ namespace: project.namespace, name: 'tenant-egress' });
    const [ipv4, ipv6] = [egress.spec?.egress?.[2]?.to, egress.spec?.egress?.[3]?.to].map((to) => to?.[0]?.ipBlock);
    expect(ipv4?.cidr).toBe('0.0.0.0/0');
    expect(ipv4?.except?.slice(0, 7)).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', '168.63.129.16/32']);
    expect(ipv6).toEqual({ cidr: '::/0', except: ['fc00::/7', 'fe80::/10', '::1/128', 'fd00:ec2::254/128'] });

    // The live log stream, opened while it builds.
    await waitForStatus(world, id, 'building');
    const streamed = readSse(`${origin}/api/deployments/${id}/logs/stream`, { Cookie: world.cookie }, (events) =>
      events.some((e) => e.event === 'end'),
    );

    const live = await waitForStatus(world, id, 'live');
    expect(live).toEqual(
      expect.objectContaining({ commitSha: commit, commitMessage: 'Ship the shop', trigger: 'push', reason: null }),
    );
    // Deployed by the digest the build reported, and the row keeps it.
    expect(live.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const image = `harbor.local/dangus/${project.namespace}/web:${commit}@${String(live.imageDigest)}`;
    expect(live.imageTag).toBe(image);
    expect(live.finishedAt).not.toBeNull();

    // Stored: every line, the env value redacted.
    const stored = await deployment(world, id);
    expect(stored.buildLogs).toBe(BUILD_LOG.replace('s3cr3t-env-value-42', '[redacted]'));

    // Streamed: the same text, in pieces whose ids are the offsets after them, then `end`.
    const { status, events } = await streamed;
    expect(status).toBe(200);
    const logEvents = events.filter((e) => e.event === 'log');
    expect(logEvents.map((e) => e.data).join('')).toBe(stored.buildLogs);
    expect(Number(logEvents.at(-1)?.id)).toBe(stored.buildLogs?.length);
    expect(events.at(-1)?.event).toBe('end');
    expect(JSON.stringify(events)).not.toContain('s3cr3t-env-value-42');

    // The cluster: the Deployment runs the image, the Job and its Secret are gone, the env Secret is written.
    const running = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'web' });
    expect(running.spec?.template.spec?.containers[0]?.image).toBe(image);
    expect(running.metadata?.labels?.['dangus.cloud/deployment']).toBe(id);
    await eventually('the Job to be pruned', async () =>
      (await maybe(() => world.batch.readNamespacedJob({ namespace: project.namespace, name: jobName }))) ? undefined : true,
    );
    expect(await maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: jobName }))).toBeUndefined();
    const envSecret = await world.core.readNamespacedSecret({ namespace: project.namespace, name: 'web-env' });
    expect(Buffer.from(envSecret.data?.NPM_TOKEN ?? '', 'base64').toString()).toBe('s3cr3t-env-value-42');

    // GitHub: pending, then success, linking to the deployment's page.
    const statuses = await settledStatuses(commit);
    expect(statuses.map((s) => s.state)).toEqual(['pending', 'success']);
    expect(statuses[1]).toEqual(
      expect.objectContaining({ repo: service.repo, login: world.login, context: 'dangus-cloud/deploy', targetUrl: `${ORIGIN}/services/${service.id}/deployments/${id}` }),
    );

    // A resumed stream starts where the client left off, and ends at once: the build is over.
    const resumed = await readSse(
      `${origin}/api/deployments/${id}/logs/stream`,
      { Cookie: world.cookie, 'Last-Event-ID': String(stored.buildLogs?.indexOf('INFO Pushed')) },
      (list) => list.some((e) => e.event === 'end'),
    );
    expect(resumed.events.filter((e) => e.event === 'log').map((e) => e.data)).toEqual(['INFO Pushed image\n']);
  });

  it('a build that fails ends failed with its exit code and last log line; the Job goes, nothing is rolled out', async () => {
    const service = await createService(world, project.id, 'broken');
    const commit = sha();
    world.pods.set(commit, { log: 'Step 1/2 : FROM node:24\nerror: npm ERR! missing script: build\n', fail: true, exitCode: 2 });

    const answer = await push(world, service, commit);
    const failed = await waitForStatus(world, String(answer.body.deploymentId), 'failed');

    expect(failed.reason).toBe('the build failed (exit code 2): error: npm ERR! missing script: build');
    expect(failed.imageTag).toBeNull();
    expect((await deployment(world, failed.id)).buildLogs).toContain('missing script');
    await eventually('the failed Job to be pruned', async () =>
      (await maybe(() => world.batch.readNamespacedJob({ namespace: project.namespace, name: `broken-build-${commit.slice(0, 7)}` }))) ? undefined : true,
    );
    expect(await maybe(() => world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'broken' }))).toBeUndefined();
    expect((await settledStatuses(commit)).map((s) => s.state)).toEqual(['pending', 'failure']);
  });

  it('a build past its deadline ends failed as timed out', async () => {
    const service = await createService(world, project.id, 'slow');
    const commit = sha();
    world.pods.set(commit, { runDuration: '120s', log: 'compiling…\n' });

    const answer = await push(world, service, commit);
    const failed = await waitForStatus(world, String(answer.body.deploymentId), 'failed', 120_000);

    expect(failed.reason).toBe('the build timed out after 20 s');
  });

  it('a new version that crash-loops fails fast and the service rolls back to the version that was live', async () => {
    const service = await createService(world, project.id, 'api');
    const good = sha();
    world.pods.set(good, { log: 'ok\n' });
    const first = String((await push(world, service, good)).body.deploymentId);
    await waitForStatus(world, first, 'live');

    const bad = sha();
    world.pods.set(bad, { log: 'ok\n', crashLoop: true });
    const second = String((await push(world, service, bad)).body.deploymentId);
    const failed = await waitForStatus(world, second, 'failed');

    expect(failed.reason).toMatch(/^the new version keeps crashing: container "app" restarted 3 times \(last exit code 1\)$/);
    expect(failed.imageTag).toMatch(new RegExp(`^harbor\\.local/dangus/${project.namespace}/api:${bad}@sha256:[0-9a-f]{64}$`));
    // Rolled back: the Deployment runs the good image again, labelled with the deployment that was live.
    const back = await eventually('the rollback', async () => {
      const d = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'api' });
      return d.spec?.template.spec?.containers[0]?.image?.includes(`:${good}@sha256:`) ? d : undefined;
    });
    expect(back.metadata?.labels?.['dangus.cloud/deployment']).toBe(first);
    expect((await deployment(world, first)).status).toBe('live');
    const current: { current_deployment_id: string }[] = await world.platform.db.query(`SELECT current_deployment_id FROM services WHERE id = $1`, [service.id]);
    expect(current[0]?.current_deployment_id).toBe(first);
    expect((await settledStatuses(bad)).map((s) => s.state)).toEqual(['pending', 'failure']);
  });

  it('a push while a build runs supersedes it: the older build ends, its Job goes, the newer one goes live', async () => {
    const service = await createService(world, project.id, 'worker');
    const older = sha();
    world.pods.set(older, { runDuration: '60s', log: 'slow build\n' });
    const first = String((await push(world, service, older)).body.deploymentId);
    await waitForStatus(world, first, 'building');

    const newer = sha();
    world.pods.set(newer, { log: 'fast build\n' });
    const second = String((await push(world, service, newer)).body.deploymentId);

    const superseded = await waitForStatus(world, first, 'failed');
    expect(superseded.reason).toBe(`superseded by ${newer.slice(0, 7)}`);
    await waitForStatus(world, second, 'live');
    await eventually('the superseded Job to be deleted', async () =>
      (await maybe(() => world.batch.readNamespacedJob({ namespace: project.namespace, name: `worker-build-${older.slice(0, 7)}` }))) ? undefined : true,
    );
    expect(await maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: `worker-build-${older.slice(0, 7)}` }))).toBeUndefined();
    expect((await settledStatuses(older)).map((s) => s.state)).toEqual(['pending', 'error']);
  });

  it('an env change rolls the current image out again as a configuration deployment, with the new value in the env Secret', async () => {
    const service = await createService(world, project.id, 'cfg');
    const commit = sha();
    world.pods.set(commit, { log: 'built\n' });
    const built = String((await push(world, service, commit)).body.deploymentId);
    await waitForStatus(world, built, 'live');
    const before = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'cfg' });

    await request(world.platform.app)
      .post(`/api/services/${service.id}/env`)
      .set({ Origin: ORIGIN, Cookie: world.cookie })
      .send({ key: 'FEATURE_FLAG', value: 'on-and-shiny' })
      .expect(201);

    const list = await request(world.platform.app).get(`/api/services/${service.id}/deployments`).set({ Cookie: world.cookie }).expect(200);
    const config = (list.body as { id: string; trigger: string }[])[0];
    expect(config?.trigger).toBe('config');
    const live = await waitForStatus(world, String(config?.id), 'live');
    expect(live).toEqual(expect.objectContaining({ commitSha: commit, commitMessage: 'Configuration change: set FEATURE_FLAG' }));
    expect(live.imageTag).toMatch(new RegExp(`^harbor\\.local/dangus/${project.namespace}/cfg:${commit}@sha256:[0-9a-f]{64}$`));
    const after = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'cfg' });
    expect(after.spec?.template.metadata?.annotations?.['dangus.cloud/env-revision']).not.toBe(before.spec?.template.metadata?.annotations?.['dangus.cloud/env-revision']);
    const envSecret = await world.core.readNamespacedSecret({ namespace: project.namespace, name: 'cfg-env' });
    expect(Buffer.from(envSecret.data?.FEATURE_FLAG ?? '', 'base64').toString()).toBe('on-and-shiny');
    // No build for a configuration change, and no second commit status.
    expect((await settledStatuses(commit)).map((s) => s.state)).toEqual(['pending', 'success']);
  });

  it('deleting a service while it builds removes its env Secret and its build\'s Secret from the cluster', async () => {
    const service = await createService(world, project.id, 'gone');
    await request(world.platform.app)
      .post(`/api/services/${service.id}/env`)
      .set({ Origin: ORIGIN, Cookie: world.cookie })
      .send({ key: 'TOKEN', value: 'tenant-secret-value' })
      .expect(201);
    const first = sha();
    world.pods.set(first, { log: 'built\n' });
    await waitForStatus(world, String((await push(world, service, first)).body.deploymentId), 'live');
    const second = sha();
    world.pods.set(second, { log: 'slow\n', runDuration: '10m' });
    await waitForStatus(world, String((await push(world, service, second)).body.deploymentId), 'building');
    const buildSecret = `gone-build-${second.slice(0, 7)}`;
    expect(await maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: 'gone-env' }))).toBeDefined();
    expect(await maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: buildSecret }))).toBeDefined();

    await request(world.platform.app).delete(`/api/services/${service.id}`).set({ Origin: ORIGIN, Cookie: world.cookie }).expect(204);

    expect(await maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: 'gone-env' }))).toBeUndefined();
    expect(await maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: buildSecret }))).toBeUndefined();
  });

  it('a push to another branch builds nothing; a redelivered push builds once', async () => {
    const service = await createService(world, project.id, 'once');
    const other = await push(world, service, sha(), { ref: 'refs/heads/feature/x' });
    expect(other.status).toBe(200);
    expect(other.body.reason).toBe('branch "feature/x" is not the service\'s branch "main"');

    const commit = sha();
    world.pods.set(commit, { log: 'built once\n' });
    const first = await push(world, service, commit, { deliveryId: 'delivery-once-1' });
    const again = await push(world, service, commit, { deliveryId: 'delivery-once-1' });
    expect(again).toEqual(first);
    await waitForStatus(world, String(first.body.deploymentId), 'live');
    const rows: { n: string }[] = await world.platform.db.query(`SELECT count(*) AS n FROM deployments WHERE service_id = $1`, [service.id]);
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it('20 pushes to 20 services at once: each gets exactly one deployment, and all go live', async () => {
    // One project each: a tenant's quota admits one Kaniko build at a time next to its app.
    const services = [];
    for (let i = 0; i < 20; i += 1) {
      const fleet = await createProject(world, `fleet${String(i)}`);
      services.push(await createService(world, fleet.id, `svc${String(i)}`));
    }
    const commits = services.map(() => sha());
    for (const commit of commits) world.pods.set(commit, { log: 'parallel\n' });

    const answers = await Promise.all(services.map((service, i) => push(world, service, commits[i] ?? '')));

    expect(answers.map((a) => a.status)).toEqual(services.map(() => 202));
    const ids = answers.map((a) => String(a.body.deploymentId));
    expect(new Set(ids).size).toBe(20);
    for (const id of ids) await waitForStatus(world, id, 'live', 180_000);
    const rows: { service_id: string; n: string }[] = await world.platform.db.query(
      `SELECT service_id, count(*) AS n FROM deployments WHERE service_id = ANY($1) GROUP BY service_id`,
      [services.map((s) => s.id)],
    );
    expect(rows).toHaveLength(20);
    expect(rows.every((row) => Number(row.n) === 1)).toBe(true);
  });
});
