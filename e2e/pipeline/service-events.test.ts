// A service's Kubernetes Events through the API, on the real control plane: pods refused by
// a quota show up with the reason in plain words.
import request from 'supertest';
import { ORIGIN } from '../../api/test/support/platform.js';
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
});
