// Replicas and a size on the real control plane: a change is a commit and a config
// deployment, the Deployment gets the replicas and the size's resources, and it goes live.
import request from 'supertest';
import type { DeploymentDto } from '@dangus/common';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { createProject, createService, eventually, push, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

describe('replicas and sizes', () => {
  let world: PipelineWorld;

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('rolls out replicas and a size as a config deployment that goes live, and a rollback restores them', async () => {
    const project = await createProject(world, 'scaled');
    const service = await createService(world, project.id, 'api');
    const headers = { Origin: ORIGIN, Cookie: world.cookie };
    const commit = sha();
    world.pods.set(commit, { log: 'built\n', runDuration: '1s' });
    const first = await waitForStatus(world, String((await push(world, service, commit)).body.deploymentId), 'live');

    await request(world.platform.app).patch(`/api/services/${service.id}`).set(headers).send({ replicas: 3, size: 'small' }).expect(200);
    const config = await eventually('the config deployment to go live', async () => {
      const list = (await request(world.platform.app).get(`/api/services/${service.id}/deployments`).set(headers).expect(200)).body as DeploymentDto[];
      const row = list.find((d) => d.trigger === 'config');
      if (row?.status === 'failed') throw new Error(row.reason ?? 'failed');
      return row?.status === 'live' ? row : undefined;
    }, 90_000);
    expect(config.commitMessage).toBe('Configuration change: update replicas, size');
    const running = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'api' });
    expect(running.spec?.replicas).toBe(3);
    expect(running.status?.readyReplicas).toBe(3);
    expect(running.spec?.template.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '250m', memory: '256Mi' },
    });

    // The first release ran one default pod: rolling back restores that too.
    await request(world.platform.app).post(`/api/deployments/${first.id}/rollback`).set(headers).expect(202);
    await eventually('one default pod again', async () => {
      const d = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'api' });
      // A container without resources reads back as `resources: {}`.
      const resources = d.spec?.template.spec?.containers[0]?.resources ?? {};
      return d.spec?.replicas === 1 && Object.keys(resources).length === 0 ? d : undefined;
    }, 60_000);
    const svc = (await request(world.platform.app).get(`/api/services/${service.id}`).set(headers).expect(200)).body as { replicas: number; size: string | null };
    expect(svc).toMatchObject({ replicas: 1, size: null });
  });
});
