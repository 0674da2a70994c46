// The k3s-shaped node: the tenant NetworkPolicies the product renders, enforced as packets by
// kube-router's policy controller (what k3s embeds); CoreDNS and kube-proxy resolving and
// routing a service's discovery address. Two tenants' projects are made through the platform
// (their namespaces and policies come by the product's own path); the test's pods run a
// locally made busybox and report what they could reach in their logs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import {
  BASE_DOMAIN, STORAGE_CLASS, commitApp, createProject, createService, eventually, podReport, push, startRealWorld, viaIngress, waitForStatus,
  type RealWorld,
} from './support.js';

/** The address of the cloud metadata service: must be out of a tenant's reach. */
const METADATA = '169.254.169.254';

function serverPod(name: string, image: string, body: string): V1Pod {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      automountServiceAccountToken: false,
      containers: [{
        name: 'web',
        image,
        imagePullPolicy: 'Never',
        command: ['/bin/sh', '-c', `echo ${body} > /www/index.html && exec httpd -f -p 8080 -h /www`],
        volumeMounts: [{ name: 'www', mountPath: '/www' }],
        ports: [{ containerPort: 8080, name: 'http' }],
        readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsUser: 10001 },
      }],
      securityContext: { fsGroup: 10001 },
      volumes: [{ name: 'www', emptyDir: {} }],
    },
  };
}

/**
 * A pod that tries each target once and prints one line per target: `label: <body>` for an
 * HTTP answer (GET / spoken with nc to the address, a name first resolved by CoreDNS with
 * the pod's search path), `label: open` for a TCP connection, `label: closed (…)` when
 * refused or timed out, and `dns name: <address>` for a lookup.
 */
function probePod(
  name: string,
  image: string,
  checks: { ready: [string, string]; http?: [string, string, string][]; tcp?: [string, string, string][]; dns?: string[] },
): V1Pod {
  const lines = [
    "resolve() { case \"$1\" in *[a-z]*) nslookup \"$1\" 2>/dev/null | sed -n 's/^Address: *//p' | grep -v ':53$' | tail -n 1 ;; *) echo \"$1\" ;; esac; }",
    "get() { printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 4 \"$(resolve \"$1\")\" \"$2\" >/w/out 2>/w/err && grep -q '^HTTP/1' /w/out && tail -n 1 /w/out || echo \"closed ($(cat /w/err))\"; }",
    // kube-router programs a new pod's chain and ipsets on its add event: wait for that (the
    // first allowed answer), up to 30 s, before probing.
    `i=0; until get ${checks.ready.join(' ')} | grep -qv '^closed' || [ $i -ge 30 ]; do i=$((i+1)); sleep 1; done; echo "waited: $i"`,
    ...(checks.http ?? []).map(([label, host, port]) => `echo "${label}: $(get ${host} ${port})"`),
    ...(checks.tcp ?? []).map(([label, host, port]) =>
      `if err=$(nc -w 4 ${host} ${port} </dev/null 2>&1); then echo "${label}: open"; else echo "${label}: closed ($err)"; fi`),
    ...(checks.dns ?? []).map((host) => `echo "dns ${host}: $(resolve ${host})"`),
    'echo done',
  ];
  return {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      containers: [{
        name: 'probe',
        image,
        imagePullPolicy: 'Never',
        command: ['/bin/sh', '-c', lines.join('\n')],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsUser: 10001 },
        volumeMounts: [{ name: 'w', mountPath: '/w' }],
      }],
      securityContext: { fsGroup: 10001 },
      volumes: [{ name: 'w', emptyDir: {} }],
    },
  };
}

async function runPod(world: RealWorld, namespace: string, pod: V1Pod): Promise<V1Pod> {
  await world.core.createNamespacedPod({ namespace, body: pod });
  const name = pod.metadata?.name ?? '';
  try {
    return await eventually(`pod ${namespace}/${name}`, async () => {
      const p = await world.core.readNamespacedPod({ namespace, name });
      if (p.spec?.restartPolicy === 'Never') return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
      return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
    }, 120_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await podReport(world)}`, { cause: error });
  }
}

/** The probe's lines, as `label -> result`. */
async function probe(world: RealWorld, namespace: string, pod: V1Pod): Promise<Record<string, string>> {
  await runPod(world, namespace, pod);
  const log = await world.core.readNamespacedPodLog({ namespace, name: pod.metadata?.name ?? '' });
  process.stderr.write(`[probe ${namespace}/${pod.metadata?.name ?? ''}]\n${log}`);
  expect(log).toContain('done');
  return Object.fromEntries(log.split('\n').filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
}

function nodeState(): { rules: string; sets: string; sysctls: string[] } {
  return {
    rules: spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout,
    sets: spawnSync('ipset', ['list', '-n'], { encoding: 'utf8' }).stdout,
    sysctls: ['net/ipv4/ip_forward', 'net/bridge/bridge-nf-call-iptables', 'net/ipv4/conf/all/route_localnet'].map((k) => readFileSync(`/proc/sys/${k}`, 'utf8').trim()),
  };
}

describe('a k3s-shaped real node', () => {
  let world: RealWorld;
  let before: ReturnType<typeof nodeState>;
  const tenants: { namespace: string; serverIp: string; serviceIp: string }[] = [];

  beforeAll(async () => {
    before = nodeState();
    world = await startRealWorld((line) => process.stderr.write(`[real-node] ${line}\n`));
    for (const [name, body] of [['iso-a', 'tenant-a-answer'], ['iso-b', 'tenant-b-answer']] as const) {
      const { namespace } = await createProject(world, name);
      // The namespace and its policies, as the platform applies them.
      await eventually(`${namespace}'s NetworkPolicies`, async () => {
        const list = await world.networking.listNamespacedNetworkPolicy({ namespace });
        const names = list.items.map((p) => p.metadata?.name);
        return names.includes('tenant-isolation') && names.includes('tenant-egress') ? true : undefined;
      }, 120_000);
      const server = await runPod(world, namespace, serverPod('server', world.node.busyboxImage, body));
      const service = await world.core.createNamespacedService({
        namespace,
        body: { metadata: { name: 'server' }, spec: { selector: { app: 'server' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } },
      });
      tenants.push({ namespace, serverIp: server.status?.podIP ?? '', serviceIp: service.spec?.clusterIP ?? '' });
    }
  }, 600_000);
  let closed = false;
  afterAll(async () => {
    if (!closed) await world.close();
  }, 120_000);

  it("isolates a tenant's pod as packets: the other tenant, the node, the apiserver and the metadata address are out of reach; its own pods and DNS are not", async () => {
    const [a, b] = tenants;
    if (!a || !b) throw new Error('no tenants');
    const [apiHost = '', apiPort = ''] = world.node.apiserverOnNode.split(':');
    const [, registryPort = ''] = world.node.registryHost.split(':');
    const results = await probe(world, a.namespace, probePod('probe', world.node.busyboxImage, {
      ready: [a.serverIp, '8080'],
      http: [
        ['own pod', a.serverIp, '8080'],
        ['own service', 'server', '8080'],
        ['other tenant pod', b.serverIp, '8080'],
        // By its cluster IP: refused for the policy, not for a name that did not resolve.
        ['other tenant service', b.serviceIp, '8080'],
      ],
      tcp: [
        ['node registry', world.node.ip, registryPort],
        ['apiserver service', '10.96.0.1', '443'],
        ['apiserver on node', apiHost, apiPort],
        ['metadata', METADATA, '80'],
      ],
      dns: ['server', `server.${b.namespace}.svc.cluster.local`, 'kubernetes.default.svc.cluster.local'],
    }));
    const closed = expect.stringMatching(/^closed/);
    expect(results).toMatchObject({
      'own pod': 'tenant-a-answer',
      // The discovery address (http://<service>:<port>): CoreDNS resolves it, kube-proxy routes it.
      'own service': 'tenant-a-answer',
      'other tenant pod': closed,
      'other tenant service': closed,
      'node registry': closed,
      'apiserver service': closed,
      'apiserver on node': closed,
      // Refused by the tenant's egress policy (kube-router's REJECT), before the node's own
      // guard (which drops it silently: a time-out) would see it.
      metadata: expect.stringMatching(/^closed \(.*refused/),
    });
    const own = await world.core.readNamespacedService({ namespace: a.namespace, name: 'server' });
    expect(results['dns server']?.trim()).toBe(own.spec?.clusterIP);
    expect(results['dns kubernetes.default.svc.cluster.local']?.trim()).toBe('10.96.0.1');
  });

  it('gives a non-root app (USER 10001) a volume from local-path that it can write, and keeps it across a redeploy', async () => {
    const project = await createProject(world, 'vol');
    const service = await createService(world, project.id, { name: 'store', storageGb: 1, healthCheckPath: '/healthz' });
    const host = `${service.subdomain}.${BASE_DOMAIN}`;
    const visit = (version: string) => eventually(`${version} through Traefik`, async () => {
      const res = await viaIngress(world, host, '/cgi-bin/app');
      return res.status === 200 && res.body.includes(`version=${version}`) ? res.body : undefined;
    }, 90_000);

    await waitForStatus(world, await push(world, service, await commitApp(world, { version: 'v1', user: 10001 })), 'live');
    const [claim] = (await world.core.listNamespacedPersistentVolumeClaim({ namespace: project.namespace })).items;
    expect(claim?.spec?.storageClassName).toBe(STORAGE_CLASS);
    expect(claim?.status?.phase).toBe('Bound');
    const volume = await world.core.readPersistentVolume({ name: claim?.spec?.volumeName ?? 'none' });
    expect(volume.metadata?.annotations?.['pv.kubernetes.io/provisioned-by']).toBe('rancher.io/local-path');
    const first = await visit('v1');
    expect(first).toContain('uid=10001');
    expect(first).toContain('visits=1\n');

    // A redeploy (a new image, a new pod) finds what the first one wrote.
    await waitForStatus(world, await push(world, service, await commitApp(world, { version: 'v2', user: 10001 })), 'live');
    const second = await visit('v2');
    expect(second).toContain('uid=10001');
    expect(second).toContain('visits=2\n');
  }, 900_000);

  it('leaves no rule, ipset or sysctl of its own behind', async () => {
    closed = true;
    await world.close();
    const after = nodeState();
    expect(after.rules).not.toMatch(/DANGUS|KUBE-|dangus0/);
    expect(after.sets).not.toMatch(/KUBE-/);
    expect(after.sysctls).toEqual(before.sysctls);
  }, 120_000);
});
