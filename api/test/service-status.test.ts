import request from 'supertest';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

/** A service's status, from its newest deployment and the one it is serving. */
describe('service status', () => {
  let t: TestPlatform;
  let cookie: string;
  let projectId: string;

  beforeAll(async () => {
    t = await startTestPlatform();
    cookie = await t.signIn('status-user', 5151);
    projectId = (await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'status' }).expect(201)).body.id as string;
  });

  afterAll(async () => {
    await t.close();
  });

  async function serviceWith(name: string, rows: { status: string; current?: boolean }[]): Promise<string> {
    const service = await request(t.app)
      .post(`/api/projects/${projectId}/services`)
      .set({ Cookie: cookie, Origin: ORIGIN })
      .send({ name, repoUrl: `https://github.com/status-user/${name}`, port: 80 })
      .expect(201);
    const id = service.body.id as string;
    for (const [i, row] of rows.entries()) {
      const inserted: { id: string }[] = await t.db.query(
        `INSERT INTO deployments (service_id, commit_sha, status, image_tag, created_at)
         VALUES ($1, $2, $3, 'harbor.local/x:1', now() - make_interval(mins => $4)) RETURNING id`,
        [id, String(i).repeat(40).slice(0, 40), row.status, rows.length - i],
      );
      if (row.current) await t.db.query(`UPDATE services SET current_deployment_id = $2 WHERE id = $1`, [id, inserted[0]?.id]);
    }
    return id;
  }

  it.each([
    ['a failed build of a service still serving its live version', [{ status: 'live', current: true }, { status: 'failed' }], 'live', 'failed'],
    ['a failed first deployment', [{ status: 'failed', current: true }], 'failed', 'failed'],
    ['a failed build with nothing live', [{ status: 'failed' }], 'failed', 'failed'],
    ['a build under way on top of a live version', [{ status: 'live', current: true }, { status: 'building' }], 'building', 'building'],
    ['a failed rollout rolled back to the live one', [{ status: 'live', current: true }, { status: 'failed' }, { status: 'failed' }], 'live', 'failed'],
  ])('%s: service %s', async (what, rows, expected, newest) => {
    const id = await serviceWith(`s${String(what.length)}${String(rows.length)}`, rows);
    const service = await request(t.app).get(`/api/services/${id}`).set('Cookie', cookie).expect(200);
    expect(service.body.status).toBe(expected);
    const project = await request(t.app).get(`/api/projects/${projectId}`).set('Cookie', cookie).expect(200);
    const summary = (project.body.services as { id: string; status: string; lastDeployment: { status: string } }[]).find((s) => s.id === id);
    expect(summary?.status).toBe(expected);
    expect(summary?.lastDeployment.status).toBe(newest);
  });
});
