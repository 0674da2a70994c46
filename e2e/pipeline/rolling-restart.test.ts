// A rolling restart on the real control plane: one commit with the actor, the pod template
// annotated, the pods replaced; refused before anything runs, and to strangers.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { createProject, createService, eventually, push, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

const exec = promisify(execFile);

describe('rolling restart', () => {
  let world: PipelineWorld;

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('annotates the pod template in one commit by the user, and the Deployment replaces its pods', async () => {
    const project = await createProject(world, 'restarts');
    const service = await createService(world, project.id, 'web');
    const headers = { Origin: ORIGIN, Cookie: world.cookie };
    const early = await request(world.platform.app).post(`/api/services/${service.id}/restart`).set(headers).expect(409);
    expect(early.body.error.message).toMatch(/Nothing runs yet/);

    const commit = sha();
    world.pods.set(commit, { log: 'built\n', runDuration: '1s' });
    await waitForStatus(world, String((await push(world, service, commit)).body.deploymentId), 'live');
    const before = await world.core.listNamespacedPod({ namespace: project.namespace, labelSelector: 'app.kubernetes.io/name=web' });
    const oldPods = new Set(before.items.map((p) => p.metadata?.name));

    const stranger = await world.platform.signIn('mallory', 99);
    await request(world.platform.app).post(`/api/services/${service.id}/restart`).set({ Origin: ORIGIN, Cookie: stranger }).expect(404);
    const { restartedAt } = (await request(world.platform.app).post(`/api/services/${service.id}/restart`).set(headers).expect(202)).body as { restartedAt: string };

    const log = (await exec('git', ['--git-dir', world.platform.stateRepoDir, 'log', '-n', '1', '--format=%an|%s'])).stdout.trim();
    expect(log).toBe(`${world.login}|restart(${project.namespace}/web): rolling restart`);
    const deployment = await eventually('the annotated pod template', async () => {
      const d = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'web' });
      return d.spec?.template.metadata?.annotations?.['dangus.cloud/restarted-at'] === restartedAt ? d : undefined;
    });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toContain(commit);
    await eventually('new pods to replace the old ones', async () => {
      const pods = await world.core.listNamespacedPod({ namespace: project.namespace, labelSelector: 'app.kubernetes.io/name=web' });
      const ready = pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
      return ready.length === 1 && ready.every((p) => !oldPods.has(p.metadata?.name)) ? ready : undefined;
    }, 60_000);
  });
});
