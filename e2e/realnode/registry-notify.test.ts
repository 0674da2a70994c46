// The build's end learned from the registry on a real node: the registry (distribution, with
// its notifications endpoint pointed at the platform, as real-node.ts configures it) reports
// the push of the build's image; the platform matches it to the build, rolls out the digest the
// registry reported, and still reads Kaniko's whole log once its container ended. Real
// PostgreSQL, git, Kubernetes, kubelet, containerd and registry; GitHub is faked (support.ts).
import { commitApp, createProject, createService, eventually, push, registry, registryToken, startRealWorld, waitForStatus, type RealWorld } from './support.js';

describe("a build's end from the registry's push notification, on a real node", () => {
  let world: RealWorld;

  beforeAll(async () => {
    world = await startRealWorld((line) => process.stderr.write(`[real-node] ${line}\n`));
  }, 600_000);
  afterAll(async () => {
    await world.close();
  }, 120_000);

  it('rolls out the digest the registry reported for the build, and keeps the build log whole', async () => {
    const project = await createProject(world, 'notified');
    const service = await createService(world, project.id, { name: 'web' });
    const commit = await commitApp(world, { version: 'notified-one' });
    const id = await push(world, service, commit);
    const live = await waitForStatus(world, id, 'live');

    // The registry's own answer for the tag: the digest the platform deployed.
    const harborProject = `dangus-${project.namespace}`;
    const robot = [...world.harbor.robots.values()].find((r) => r.project === harborProject);
    if (!robot) throw new Error(`no robot for ${harborProject}`);
    const token = await registryToken(world, robot, `repository:${harborProject}/web:pull`);
    const manifest = await registry(world, `/v2/${harborProject}/web/manifests/${commit}`, token, { method: 'HEAD' });
    const digest = manifest.headers.get('docker-content-digest') ?? 'none';
    expect(live.imageTag).toBe(`${world.node.registryHost}/${harborProject}/web:${commit}@${digest}`);

    // The registry notified the push, signed with the token, and the platform matched it to this build.
    const events = await world.platform.db.query<{ deployment_id: string | null; outcome: string; digest: string; source: string; repository: string }[]>(
      `SELECT deployment_id, outcome, digest, source, repository FROM registry_events WHERE tag = $1`,
      [commit],
    );
    expect(events).toEqual([{ deployment_id: id, outcome: 'matched', digest, source: 'distribution', repository: `${harborProject}/web` }]);
    const [row] = await world.platform.db.query<{ image_digest: string; build_logs: string }[]>('SELECT image_digest, build_logs FROM deployments WHERE id = $1', [id]);
    expect(row?.image_digest).toBe(digest);

    // The rollout started on the registry's word, yet the log holds what Kaniko printed after its push.
    expect(row?.build_logs).toContain('Pushing image to');
    expect(row?.build_logs).toContain(`Pushed ${world.node.registryHost}/${harborProject}/web@${digest}`);
  }, 600_000);

  // The kubelet's first pull of a new tenant's image can fail for a moment: it starts watching
  // the pull Secret only when the first pod naming it arrives, waits a second for it, then
  // pulls without credentials ("pull access denied"), as a loaded node did here once in three
  // runs; or the registry's token service is restarting. It pulls again 10 s later. Made
  // certain here: Harbor's token service answers the node's first token request 503.
  it('rolls out when the first pull of the image fails for a moment and the kubelet\'s retry pulls it', async () => {
    const project = await createProject(world, 'retried');
    const service = await createService(world, project.id, { name: 'web' });
    const commit = await commitApp(world, { version: 'retried-one' });
    world.harbor.failTokens(/^containerd\//, 1);
    const id = await push(world, service, commit);
    const live = await waitForStatus(world, id, 'live');
    expect(live.imageTag).toContain(`/dangus-${project.namespace}/web:${commit}@sha256:`);

    // The node's pull did fail once (the token service refused it), and its retry pulled.
    expect(world.harbor.tokenOutages.map((outage) => outage.scopes)).toEqual([[`repository:dangus-${project.namespace}/web:pull`]]);
    expect(world.harbor.tokenOutages[0]?.userAgent).toMatch(/^containerd\//);
    const failures = await eventually('the kubelet to report the failed pull', async () => {
      const events = await world.core.listNamespacedEvent({ namespace: project.namespace });
      const failed = events.items.filter((e) => e.involvedObject.kind === 'Pod' && e.reason === 'Failed' && /503/.test(e.message ?? ''));
      return failed.length > 0 ? failed : undefined;
    });
    expect(failures[0]?.message).toContain(`dangus-${project.namespace}/web`);
    const pods = await world.core.listNamespacedPod({ namespace: project.namespace, labelSelector: `dangus.cloud/deployment=${id}` });
    const app = pods.items.find((p) => p.metadata?.name?.startsWith('web-') && !p.metadata.name.startsWith('web-build'));
    expect(app?.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
  }, 600_000);
});
