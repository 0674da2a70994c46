import type { Server } from 'node:http';
import request from 'supertest';
import { ORIGIN } from '../../api/test/support/platform.js';
import { listen } from '../../api/src/server.js';
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
    const env = job.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'DANGUS_BUILD_CONTEXT')?.value).toBe(
      `git://github.com/${service.repo}.git#refs/heads/release/v2#${commit}`,
    );
    expect(env.find((e) => e.name === 'GIT_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: jobName, key: 'git-token' });
    const secret = await world.core.readNamespacedSecret({ namespace: project.namespace, name: jobName });
    expect(Buffer.from(secret.data?.['git-token'] ?? '', 'base64').toString()).toMatch(/^gho_/);

    // The live log stream, opened while it builds.
    await waitForStatus(world, id, 'building');
    const streamed = readSse(`${origin}/api/deployments/${id}/logs/stream`, { Cookie: world.cookie }, (events) =>
      events.some((e) => e.event === 'end'),
    );

    const live = await waitForStatus(world, id, 'live');
    expect(live).toEqual(
      expect.objectContaining({ commitSha: commit, commitMessage: 'Ship the shop', trigger: 'push', reason: null }),
    );
    const image = `harbor.local/dangus/${project.namespace}/web:${commit}`;
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
    const statuses = world.platform.github.statuses.filter((s) => s.sha === commit);
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
});
