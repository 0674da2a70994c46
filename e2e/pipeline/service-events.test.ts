// A service's Kubernetes Events through the API, on the real control plane: pods refused by
// a quota show up with the reason in plain words.
import request from 'supertest';
import type { DeploymentDto } from '@dangus/common';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { createProject, createService, eventually, push, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

interface EventDto {
  type: string;
  reason: string;
  object: string;
  summary: string | null;
}

describe('service events', () => {
  let world: PipelineWorld;

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it("gives the project's quota usage, lists the service's events newest first, and says why pods wait for quota", async () => {
    const project = await createProject(world, 'crowded');
    const service = await createService(world, project.id, 'web');
    const headers = { Origin: ORIGIN, Cookie: world.cookie };
    const commit = sha();
    world.pods.set(commit, { log: 'ok\n', runDuration: '1s' });
    await waitForStatus(world, String((await push(world, service, commit)).body.deploymentId), 'live');

    // The project's usage, as its quota counts it: the app's pod of the 20 allowed.
    const usage = await eventually('the quota to count the app pod', async () => {
      const list = (await request(world.platform.app).get(`/api/projects/${project.id}/usage`).set(headers).expect(200)).body as { resource: string; used: string; hard: string }[];
      return list.find((u) => u.resource === 'pods')?.used === '1' ? list : undefined;
    }, 30_000);
    expect(usage.map((u) => u.resource)).toEqual(['limits.cpu', 'limits.memory', 'persistentvolumeclaims', 'pods', 'requests.cpu', 'requests.memory', 'requests.storage']);
    expect(usage.find((u) => u.resource === 'pods')?.hard).toBe('21');

    // Someone (an operator) caps the namespace at one pod; the service then asks for two.
    await world.core.createNamespacedResourceQuota({ namespace: project.namespace, body: { metadata: { name: 'one-pod' }, spec: { hard: { pods: '1' } } } });
    await request(world.platform.app).patch(`/api/services/${service.id}`).set(headers).send({ replicas: 2 }).expect(200);

    const events = await eventually('the quota refusal among the events', async () => {
      const list = (await request(world.platform.app).get(`/api/services/${service.id}/events`).set(headers).expect(200)).body as EventDto[];
      return list.some((e) => e.reason === 'FailedCreate') ? list : undefined;
    }, 60_000);
    const refused = events.find((e) => e.reason === 'FailedCreate');
    expect(refused?.type).toBe('Warning');
    expect(refused?.object).toMatch(/^ReplicaSet\/web-[a-z0-9]+$/);
    expect(refused?.summary).toBe("Waiting: the project's pods quota is used up (1 of 1), so a pod cannot be created.");
    expect(events.some((e) => e.reason === 'ScalingReplicaSet' && e.object === 'Deployment/web')).toBe(true);
    // Nothing of another service or of the namespace itself.
    expect(events.every((e) => /^(Deployment\/web|ReplicaSet\/web-|Pod\/web-|Job\/web-build-|PersistentVolumeClaim\/web-data)/.test(e.object))).toBe(true);

    const stranger = await world.platform.signIn('oscar', 5150);
    await request(world.platform.app).get(`/api/services/${service.id}/events`).set({ Cookie: stranger }).expect(404);
    await request(world.platform.app).get(`/api/projects/${project.id}/usage`).set({ Cookie: stranger }).expect(404);
  });

  it('says on the deployment that its build waits for the quota, and clears it once the build runs', async () => {
    const project = await createProject(world, 'queued');
    const service = await createService(world, project.id, 'api');
    // An operator leaves no room for another pod in the namespace (once the applier made it).
    await eventually('the namespace', async () => (await world.core.readNamespace({ name: project.namespace }).catch(() => undefined)));
    await world.core.createNamespacedResourceQuota({ namespace: project.namespace, body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } } });
    const commit = sha();
    world.pods.set(commit, { log: 'built\n', runDuration: '1s' });
    const id = String((await push(world, service, commit)).body.deploymentId);
    const waiting = await eventually('the row to say why the build waits', async () => {
      const row = (await request(world.platform.app).get(`/api/deployments/${id}`).set({ Cookie: world.cookie }).expect(200)).body as DeploymentDto;
      return row.reason?.startsWith('Waiting:') ? row : undefined;
    }, 60_000);
    expect(['pending', 'building']).toContain(waiting.status);
    expect(waiting.reason).toBe("Waiting: the project's pods quota is used up (0 of 0), so the build waits for room.");

    // Room again: the Job controller retries, the build runs, and the text is gone.
    await world.core.deleteNamespacedResourceQuota({ namespace: project.namespace, name: 'no-pods' });
    const live = await waitForStatus(world, id, 'live', 120_000);
    expect(live.reason).toBeNull();
  });
});
