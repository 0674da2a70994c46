/**
 * A team's own namespace quota (issue 36, TEAM_NAMESPACE_QUOTA) on the real PostgreSQL and
 * state repo, through the routes as production wires them: a team project's namespace
 * renders the team quota (a person's keeps the platform's), `checkQuota` holds a team
 * project to the team quota (allowing within it what a person's project is refused, refusing
 * beyond it with nothing changed), and a move between the spaces re-renders the quota in a
 * commit by the mover.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { as, makeTeam, type TeamFixture } from './support/team-fixture.js';

const git = async (dir: string, ...args: string[]) => (await promisify(execFile)('git', ['--git-dir', dir, ...args])).stdout.trim();

// The apps' budget; the rendered ResourceQuota adds one build's allowance (2 CPU, 2Gi of limits; +1 pod).
const TEAM_QUOTA = { 'requests.cpu': '8', 'limits.cpu': '8', 'requests.memory': '16Gi', 'limits.memory': '16Gi', pods: 40 };

describe('a team\'s namespace quota', () => {
  let t: TestPlatform;
  let f: TeamFixture;

  beforeAll(async () => {
    t = await startTestPlatform({
      SERVICE_SIZES: JSON.stringify({ small: { cpu: '250m', memory: '256Mi' }, big: { cpu: '1500m', memory: '2Gi' } }),
      TEAM_NAMESPACE_QUOTA: JSON.stringify(TEAM_QUOTA),
    });
    f = await makeTeam(t);
  });
  afterAll(async () => {
    await t.close();
  });

  /** The hard values of the namespace's rendered ResourceQuota, at HEAD. */
  const hard = async (namespace: string) => {
    const text = await git(t.stateRepoDir, 'show', `HEAD:tenants/${namespace}/namespace.yaml`);
    const quota = text.slice(text.indexOf('kind: ResourceQuota'));
    const value = (key: string) => new RegExp(`\\n    ${key.replace('.', '\\.')}: '?([^'\\n]+)'?`).exec(quota)?.[1];
    return { limitsCpu: value('limits.cpu'), requestsCpu: value('requests.cpu'), limitsMemory: value('limits.memory'), pods: value('pods'), storage: value('requests.storage') };
  };
  const namespaceOf = async (projectId: string) => String((await as(t, f.cookies.alice).get(`/projects/${projectId}`).expect(200)).body.namespace);
  const PERSON = { limitsCpu: '6', requestsCpu: '2250m', limitsMemory: '10Gi', pods: '21', storage: '50Gi' };
  const TEAM = { limitsCpu: '10', requestsCpu: '8250m', limitsMemory: '18Gi', pods: '41', storage: '50Gi' };
  let mine = '';

  it('renders the team quota into a team project\'s namespace, the platform\'s into a person\'s', async () => {
    expect(await hard(await namespaceOf(f.ids.project))).toEqual(TEAM);
    mine = (await as(t, f.cookies.alice).post('/projects', { name: 'mine' }).expect(201)).body.id as string;
    expect(await hard(await namespaceOf(mine))).toEqual(PERSON);
  });

  it('holds a team project to the team quota: within it allowed, beyond it a 409 that changes nothing', async () => {
    const alice = as(t, f.cookies.alice);
    const big = { name: 'big', repoUrl: 'https://github.com/acme/big', port: 80, replicas: 3, size: 'big' };
    // Three pods of 1.5 CPU and a surge pod: 6 CPU, beyond a person's 4 CPU, within the team's 8.
    const refused = await alice.post(`/projects/${mine}/services`, big).expect(409);
    expect(refused.body.error.message).toMatch(/limits\.cpu: 6 CPU needed, 4 CPU in the quota/);
    const created = (await alice.post(`/projects/${f.ids.project}/services`, big).expect(201)).body as { id: string; replicas: number };
    expect(created.replicas).toBe(3);
    // Five (and web's 500m): 9.5 CPU, beyond the team's 8.
    const before = await git(t.stateRepoDir, 'rev-parse', 'HEAD');
    const beyond = await alice.patch(`/services/${created.id}`, { replicas: 5 }).expect(409);
    expect(beyond.body.error.message).toMatch(/limits\.cpu: 9\.5 CPU needed, 8 CPU in the quota/);
    expect(await t.db.query(`SELECT replicas, size FROM services WHERE id = $1`, [created.id])).toEqual([{ replicas: 3, size: 'big' }]);
    expect(await git(t.stateRepoDir, 'rev-parse', 'HEAD')).toBe(before);
    await alice.patch(`/services/${created.id}`, { replicas: 4 }).expect(200);
  });

  it('re-renders the quota at a move, in a commit by the mover; a project the new space cannot hold stays', async () => {
    const alice = as(t, f.cookies.alice);
    const ns = await namespaceOf(mine);
    await alice.post(`/projects/${mine}/move`, { to: { team: f.teamId }, confirm: 'mine' }).expect(200);
    expect(await hard(ns)).toEqual(TEAM);
    expect(await git(t.stateRepoDir, 'log', '-1', '--format=%an|%s')).toBe(`alice|update(${ns}): move project mine to team acme`);
    expect(await git(t.stateRepoDir, 'log', '-1', '--format=%(trailers:key=Dangus-Actor,valueonly)')).toContain('alice');
    // In the team, a pod beyond a person's quota; moving back would leave it without room.
    await alice.post(`/projects/${mine}/services`, { name: 'wide', repoUrl: 'https://github.com/acme/wide', port: 80, replicas: 2, size: 'big' }).expect(201);
    const head = await git(t.stateRepoDir, 'rev-parse', 'HEAD');
    const refused = await alice.post(`/projects/${mine}/move`, { to: { personal: true }, confirm: 'mine' }).expect(409);
    expect(refused.body.error.message).toMatch(/The quota of your space is too small for this project .*limits\.cpu: 4\.5 CPU needed, 4 CPU in the quota/);
    expect(refused.body.error.fields).toEqual({ to: ['Short of requests.cpu, requests.memory, limits.cpu.'] });
    expect(await git(t.stateRepoDir, 'rev-parse', 'HEAD')).toBe(head);
    expect(await hard(ns)).toEqual(TEAM);
    const [owner] = await t.db.query<{ kind: string }[]>(`SELECT u.kind FROM projects p JOIN users u ON u.id = p.user_id WHERE p.id = $1`, [mine]);
    expect(owner?.kind).toBe('team');
    // Scaled down, it fits and moves back: the person's quota again, by the mover.
    await alice.patch(`/services/${(await t.db.query<{ id: string }[]>(`SELECT id FROM services WHERE project_id = $1`, [mine]))[0]?.id ?? ''}`, { size: 'small' }).expect(200);
    await alice.post(`/projects/${mine}/move`, { to: { personal: true }, confirm: 'mine' }).expect(200);
    expect(await hard(ns)).toEqual(PERSON);
    expect(await git(t.stateRepoDir, 'log', '-1', '--format=%an|%s')).toBe(`alice|update(${ns}): move project mine to @alice's space`);
  });
});
