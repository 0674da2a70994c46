// Tenants' egress policies deny the nodes' own addresses, kept current: the controller's
// informer on Nodes re-renders every tenant when a node comes or goes, on the real control plane.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1NetworkPolicy } from '@kubernetes/client-node';
import { createProject, eventually, startWorld, type PipelineWorld } from './support.js';

const exec = promisify(execFile);

describe('node addresses in the tenants\' egress policies', () => {
  let world: PipelineWorld;
  const node = `egress-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.core.deleteNode({ name: node }).catch(() => undefined);
    await world.close();
  });

  /** The tenant-egress policy's exceptions, IPv4 and IPv6, as the cluster has it. */
  const denied = async (namespace: string) => {
    const policy: V1NetworkPolicy = await world.kube.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ namespace, name: 'tenant-egress' });
    const blocks = (policy.spec?.egress ?? []).flatMap((rule) => rule.to ?? []).flatMap((peer) => (peer.ipBlock ? [peer.ipBlock] : []));
    return {
      ipv4: blocks.find((block) => block.cidr === '0.0.0.0/0')?.except ?? [],
      ipv6: blocks.find((block) => block.cidr === '::/0')?.except ?? [],
    };
  };

  it('denies every node\'s InternalIP and ExternalIP, and follows a node that comes and goes', async () => {
    const project = await createProject(world, 'fenced');
    const existing = (await world.core.listNode()).items.flatMap((n) => n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP');
    const hosts = existing.map((a) => `${a.address}/${a.address.includes(':') ? '128' : '32'}`);
    const first = await eventually('the tenant\'s egress policy', () => denied(project.namespace).catch(() => undefined));
    expect([...first.ipv4, ...first.ipv6]).toEqual(expect.arrayContaining(['168.63.129.16/32', 'fc00::/7', 'fd00:ec2::254/128', ...hosts]));

    await world.core.createNode({ body: { metadata: { name: node } } });
    const status = { addresses: [{ type: 'InternalIP', address: '192.0.2.77' }, { type: 'ExternalIP', address: '2001:db8::77' }, { type: 'Hostname', address: node }] };
    await world.core.patchNodeStatus({ name: node, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await eventually('the new node\'s addresses in the policy', async () => {
      const now = await denied(project.namespace);
      return now.ipv4.includes('192.0.2.77/32') && now.ipv6.includes('2001:db8::77/128') ? now : undefined;
    });
    const { stdout } = await exec('git', ['--git-dir', world.platform.stateRepoDir, 'log', '-n', '5', '--format=%s']);
    expect(stdout).toContain('deny the nodes\' addresses');

    await world.core.deleteNode({ name: node });
    await eventually('the deleted node\'s addresses out of the policy', async () => {
      const now = await denied(project.namespace);
      return !now.ipv4.includes('192.0.2.77/32') && !now.ipv6.includes('2001:db8::77/128') ? now : undefined;
    });
  });
});
