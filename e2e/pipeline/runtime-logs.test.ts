// Runtime logs of a running service on the real control plane: lines of its pods with pod,
// container and timestamp, env values masked, pods that start later joining; bad
// parameters and strangers answered before any stream.
import type { Server } from 'node:http';
import request from 'supertest';
import type { ServiceMetricsDto } from '@dangus/common';
import { listen } from '@dangus/api/server';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { createProject, createService, push, readSse, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

interface Line {
  pod: string;
  container: string;
  timestamp: string;
  line: string;
}

describe('runtime logs', () => {
  let world: PipelineWorld;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    world = await startWorld();
    server = await listen(world.platform.app, '127.0.0.1', 0);
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? String(address.port) : '0'}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await world.close();
  });

  it("streams the service's pods' lines, masked, and the pods of a restart join", async () => {
    const project = await createProject(world, 'logs');
    const service = await createService(world, project.id, 'talker');
    const headers = { Origin: ORIGIN, Cookie: world.cookie };
    await request(world.platform.app).post(`/api/services/${service.id}/env`).set(headers).send({ key: 'API_KEY', value: 'sk-live-0123456789' }).expect(201);
    const commit = sha();
    world.pods.set(commit, { log: 'listening on 8080\nusing key sk-live-0123456789\nGET / 200\nGET /health 200\n', logInterval: '200ms' });
    await waitForStatus(world, String((await push(world, service, commit)).body.deploymentId), 'live');

    const url = `${origin}/api/services/${service.id}/logs/stream?tail=50`;
    const lines = (events: { event: string; data: string }[]) => events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data) as Line);
    const first = await readSse(url, { Cookie: world.cookie }, (events) => lines(events).length >= 4);
    expect(first.status).toBe(200);
    const got = lines(first.events);
    expect(got.map((l) => l.line)).toEqual(['listening on 8080', 'using key [redacted]', 'GET / 200', 'GET /health 200']);
    expect(new Set(got.map((l) => l.container))).toEqual(new Set(['app']));
    expect(got.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(l.timestamp))).toBe(true);
    const firstPod = got[0]?.pod ?? '';
    expect(firstPod).toMatch(/^talker-/);

    // A restart replaces the pod: a stream open across it gets the new pod's lines too.
    // The restart waits for the stream's first line: it follows the old pod by then.
    let following: () => void = () => undefined;
    const firstLine = new Promise<void>((resolve) => (following = resolve));
    const across = readSse(url, { Cookie: world.cookie }, (events) => {
      if (lines(events).length > 0) following();
      return lines(events).some((l) => l.pod !== firstPod && l.line === 'GET /health 200');
    });
    await Promise.race([firstLine, across.then((r) => Promise.reject(new Error(`the stream ended before its first line: ${String(r.status)}`)))]);
    await request(world.platform.app).post(`/api/services/${service.id}/restart`).set(headers).expect(202);
    const joined = lines((await across).events);
    expect(joined.some((l) => l.pod === firstPod)).toBe(true);
    expect(joined.filter((l) => l.pod !== firstPod).map((l) => l.line)).toContain('listening on 8080');
  });

  it('answers bad parameters with 400 and a stranger with 404, before any stream', async () => {
    const project = await createProject(world, 'quiet');
    const service = await createService(world, project.id, 'mute');
    for (const query of ['tail=0', 'tail=5001', 'tail=1.5', 'since=yesterday', 'previous=maybe', 'follow=1']) {
      const res = await request(world.platform.app).get(`/api/services/${service.id}/logs/stream?${query}`).set({ Cookie: world.cookie });
      expect([query, res.status, res.type]).toEqual([query, 400, 'application/json']);
    }
    const stranger = await world.platform.signIn('eve', 4040);
    await request(world.platform.app).get(`/api/services/${service.id}/logs/stream`).set({ Cookie: stranger }).expect(404);
  });

  it('says the cluster has no metrics API instead of failing, with the limits of the size, and a stranger gets 404', async () => {
    const project = await createProject(world, 'metrics');
    const service = await createService(world, project.id, 'gauge');
    await request(world.platform.app).patch(`/api/services/${service.id}`).set({ Origin: ORIGIN, Cookie: world.cookie }).send({ size: 'small' }).expect(200);
    const res = await request(world.platform.app).get(`/api/services/${service.id}/metrics`).set({ Cookie: world.cookie }).expect(200);
    const body = res.body as ServiceMetricsDto;
    // This control plane serves no metrics.k8s.io (the real-node tier does: e2e/realnode).
    expect(body).toMatchObject({ available: false, samples: [], intervalSeconds: 15 });
    expect(body.reason).toMatch(/does not serve the metrics API \(metrics\.k8s\.io\): install metrics-server/);
    const small = (await request(world.platform.app).get('/api/sizes').set({ Cookie: world.cookie }).expect(200)).body as { name: string; cpu: string; memory: string }[];
    const size = small.find((s) => s.name === 'small');
    expect(size).toBeDefined();
    expect(body.limits.memoryBytes).toBe(Number.parseInt(size?.memory ?? '', 10) * 1024 ** 2);
    const stranger = await world.platform.signIn('mallory', 4041);
    await request(world.platform.app).get(`/api/services/${service.id}/metrics`).set({ Cookie: stranger }).expect(404);
    await request(world.platform.app).get('/api/services/not-a-uuid/metrics').set({ Cookie: world.cookie }).expect(404);
  });
});
