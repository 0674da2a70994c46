// What makes the real node k3s-shaped: the parts k3s runs beside the kubelet.
//  - kube-router's NetworkPolicy controller (what k3s embeds), firewall only, on the host;
//  - kube-proxy in iptables mode, so ClusterIP Services route (NodePorts on the node IP only);
//  - CoreDNS as a pod (`kube-system/coredns`, label k8s-app=kube-dns, Service `kube-dns` at
//    CLUSTER_DNS_IP), so tenant policies that allow DNS to kube-dns pods allow it here too;
//  - the apiserver at the node IP, as on k3s (the `kubernetes` Service's endpoint): a relay
//    on the node IP to the test apiserver, which listens on loopback only.
// Teardown: the processes stop and `kube-proxy --cleanup` and `kube-router --cleanup-config`
// remove their chains and ipsets; clearLeftovers() does the same for a killed run.
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

import { AppsV1Api, CoreV1Api, DiscoveryV1Api, StorageV1Api, type KubeConfig } from '@kubernetes/client-node';

import { serviceAccountToken, tokenKubeconfig } from './access.js';
import type { ImageSpec } from './oci-image.js';
import { pollUntil } from './util.js';

export const CLUSTER_DNS_IP = '10.96.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';
export const SERVICE_CIDR = '10.96.0.0/16';
export const COREDNS_IMAGE = 'dangus-e2e.local/coredns:1';
/** k3s's default StorageClass: local-path-provisioner's volumes, directories on the node. */
export const LOCAL_PATH_CLASS = 'local-path';
/**
 * A busybox image for test pods (shell, nc, nslookup, httpd): Debian's static busybox. Its
 * wget crashes in a scratch image (static glibc's resolver); speak HTTP with nc instead.
 */
export const BUSYBOX_IMAGE = 'dangus-e2e.local/busybox:1';
const BUSYBOX_TOOLS = ['sh', 'nc', 'wget', 'nslookup', 'httpd', 'cat', 'echo', 'sleep', 'mkdir', 'id', 'ls', 'touch', 'rm', 'chmod', 'chown', 'env', 'timeout', 'true', 'false', 'sed', 'tr', 'grep', 'tail', 'printf'];

export function busyboxImage(busybox: string): ImageSpec {
  return {
    name: BUSYBOX_IMAGE,
    entries: [
      { path: '/bin/busybox', from: busybox },
      ...BUSYBOX_TOOLS.map((tool) => ({ path: `/bin/${tool}`, link: 'busybox' })),
      { path: '/etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/data:/bin/sh\n' },
      { path: '/etc/group', content: 'root:x:0:\napp:x:10001:\n' },
      { path: '/etc/nsswitch.conf', content: 'hosts: files dns\n' },
      { path: '/tmp', dir: true, mode: 0o1777 },
    ],
    env: ['PATH=/bin'],
    cmd: ['/bin/sh'],
  };
}

export function coreDnsImage(binDir: string): ImageSpec {
  return { name: COREDNS_IMAGE, entries: [{ path: '/coredns', from: join(binDir, 'coredns') }], entrypoint: ['/coredns'] };
}

/** k3s's Corefile without `forward` (nothing leaves the machine: there is no upstream). */
const COREFILE = [
  '.:53 {',
  '    errors',
  '    health :8080',
  '    ready :8181',
  `    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {`,
  '      pods insecure',
  '      fallthrough in-addr.arpa ip6.arpa',
  '    }',
  '    hosts /etc/coredns/NodeHosts {',
  '      ttl 60',
  '      reload 15s',
  '      fallthrough',
  '    }',
  '    cache 30',
  '    reload',
  '    loadbalance',
  '}',
  '',
].join('\n');

export interface K3sPartsOptions {
  kc: KubeConfig;
  server: string;
  caCert: string;
  binDir: string;
  dir: string;
  nodeName: string;
  nodeIp: string;
  podCidr: string;
  log: (line: string) => void;
  launch: (name: string, cmd: string, args: string[]) => void;
  anyExited: () => string | undefined;
  remaining: () => number;
  freePortOn: (host: string) => Promise<number>;
}

export interface K3sParts {
  /** host:port of the apiserver on the node IP (what the `kubernetes` Service routes to). */
  apiserverOnNode: string;
  stop(): Promise<void>;
}

/** Relays TCP from the node IP to the apiserver on loopback. */
async function relay(host: string, port: number, target: { host: string; port: number }): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(target.port, target.host);
    sockets.add(inbound).add(outbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
    inbound.pipe(outbound).pipe(inbound);
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}

/** The `kubernetes` Service's endpoint: the apiserver at the node IP, as on k3s. */
async function apiserverEndpoints(kc: KubeConfig, ip: string, port: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedEndpoints({
    namespace: 'default',
    body: {
      metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
    },
  });
  await kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
    namespace: 'default',
    body: {
      metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'dangus-e2e' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    },
  });
}

export async function startK3sParts(o: K3sPartsOptions): Promise<K3sParts> {
  const { kc, log } = o;
  const apiUrl = new URL(o.server);
  const relayPort = await o.freePortOn(o.nodeIp);
  const relayServer = await relay(o.nodeIp, relayPort, { host: apiUrl.hostname, port: Number(apiUrl.port) });
  await apiserverEndpoints(kc, o.nodeIp, relayPort);
  const stop = async () => {
    await new Promise<void>((resolve) => relayServer.close(() => resolve()));
  };
  try {
    // kube-router's policy controller, with the rights of its own manifests.
    const routerKubeconfig = join(o.dir, 'kube-router.kubeconfig');
    await writeFile(routerKubeconfig, tokenKubeconfig(o.server, o.caCert, await serviceAccountToken(kc, 'kube-router', [
      { apiGroups: [''], resources: ['namespaces', 'pods', 'services', 'nodes', 'endpoints'], verbs: ['list', 'get', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list', 'get', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'get', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
    ])));
    o.launch('kube-router', join(o.binDir, 'kube-router'), [
      `--kubeconfig=${routerKubeconfig}`,
      '--run-firewall=true', '--run-router=false', '--run-service-proxy=false',
      `--hostname-override=${o.nodeName}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--health-port=0', '--metrics-port=0',
      '--iptables-sync-period=1m',
      '--v=1',
    ]);

    // kube-proxy, iptables mode: NodePorts on the node IP only, no route_localnet, the
    // conntrack sysctls left as they are.
    const proxyKubeconfig = join(o.dir, 'kube-proxy.kubeconfig');
    await writeFile(proxyKubeconfig, tokenKubeconfig(o.server, o.caCert,
      await serviceAccountToken(kc, 'kube-proxy', [], { clusterRoles: ['system:node-proxier'] })));
    const proxyConfig = join(o.dir, 'kube-proxy.yaml');
    const [proxyHealth, proxyMetrics] = [await o.freePortOn('127.0.0.1'), await o.freePortOn('127.0.0.1')];
    await writeFile(proxyConfig, `${JSON.stringify({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig: proxyKubeconfig },
      hostnameOverride: o.nodeName,
      bindAddress: o.nodeIp,
      healthzBindAddress: `127.0.0.1:${String(proxyHealth)}`,
      metricsBindAddress: `127.0.0.1:${String(proxyMetrics)}`,
      mode: 'iptables',
      clusterCIDR: o.podCidr,
      nodePortAddresses: [`${o.nodeIp}/32`],
      iptables: { localhostNodePorts: false, masqueradeAll: false, syncPeriod: '30s', minSyncPeriod: '0s' },
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    }, null, 2)}\n`);
    o.launch('kube-proxy', join(o.binDir, 'kube-proxy'), [`--config=${proxyConfig}`, '--v=1']);
    await pollUntil(() => Promise.resolve(spawnSync('iptables', ['-t', 'nat', '-S', 'KUBE-SERVICES']).stdout.toString().includes('default/kubernetes')), {
      what: 'kube-proxy to program the kubernetes Service', timeoutMs: o.remaining(), abort: o.anyExited, intervalMs: 500,
    });
    await pollUntil(() => Promise.resolve(spawnSync('iptables', ['-S', 'KUBE-ROUTER-FORWARD']).status === 0), {
      what: "kube-router's policy chains", timeoutMs: o.remaining(), abort: o.anyExited, intervalMs: 500,
    });
    log(`kube-proxy (iptables) and kube-router (policies) running; apiserver on the node at ${o.nodeIp}:${String(relayPort)}`);

    await startCoreDns(kc, o.nodeIp, o.remaining, o.anyExited);
    log(`CoreDNS ready: kube-system/kube-dns at ${CLUSTER_DNS_IP}`);
    const volumes = await startLocalPath(o);
    log(`local-path-provisioner: StorageClass ${LOCAL_PATH_CLASS} (default), volumes under ${volumes}`);
    return { apiserverOnNode: `${o.nodeIp}:${String(relayPort)}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * local-path-provisioner as k3s ships it: the default StorageClass `local-path`
 * (WaitForFirstConsumer, reclaim Delete), each volume a directory made by a helper pod
 * (the busybox image) with mode 0777, k3s's setup script: any user of the app can write it.
 */
async function startLocalPath(o: K3sPartsOptions): Promise<string> {
  const namespace = 'kube-system';
  const root = join(o.dir, 'local-path');
  await mkdir(root, { recursive: true });
  const config = JSON.stringify({ nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: [root] }] });
  const helperPod = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'helper-pod' },
    spec: {
      priorityClassName: 'system-node-critical',
      tolerations: [{ key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'helper-pod', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never' }],
    },
  });
  await writeFile(join(o.dir, 'local-path-config.json'), config);
  await writeFile(join(o.dir, 'local-path-helper-pod.yaml'), helperPod);
  await o.kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({
    namespace,
    body: {
      metadata: { name: 'local-path-config' },
      data: {
        'config.json': config,
        setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
        teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
        'helperPod.yaml': helperPod,
      },
    },
  });
  const kubeconfig = join(o.dir, 'local-path-provisioner.kubeconfig');
  await writeFile(kubeconfig, tokenKubeconfig(o.server, o.caCert, await serviceAccountToken(o.kc, 'local-path-provisioner', [
    { apiGroups: [''], resources: ['nodes', 'persistentvolumeclaims', 'configmaps', 'pods/log'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
    { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
  ])));
  await o.kc.makeApiClient(StorageV1Api).createStorageClass({
    body: {
      metadata: { name: LOCAL_PATH_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
    },
  });
  o.launch('local-path-provisioner', join(o.binDir, 'local-path-provisioner'), [
    'start',
    `--kubeconfig=${kubeconfig}`,
    `--config=${join(o.dir, 'local-path-config.json')}`,
    `--helper-pod-file=${join(o.dir, 'local-path-helper-pod.yaml')}`,
    '--provisioner-name=rancher.io/local-path',
    `--namespace=${namespace}`,
    `--helper-image=${BUSYBOX_IMAGE}`,
    '--configmap-name=local-path-config',
    '--service-account-name=local-path-provisioner',
  ]);
  return root;
}

/** CoreDNS as k3s runs it: a Deployment in kube-system behind the Service `kube-dns`. */
async function startCoreDns(kc: KubeConfig, nodeIp: string, remaining: () => number, anyExited: () => string | undefined): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = 'kube-system';
  await serviceAccountToken(kc, 'coredns', [
    { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  ]);
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'coredns' }, data: { Corefile: COREFILE, NodeHosts: `${nodeIp} dangus-node-0\n` } },
  });
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: 'kube-dns', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' } },
      spec: {
        selector: { 'k8s-app': 'kube-dns' },
        clusterIP: CLUSTER_DNS_IP,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
      },
    },
  });
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'coredns', labels: { 'k8s-app': 'kube-dns' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        template: {
          metadata: { labels: { 'k8s-app': 'kube-dns' } },
          spec: {
            serviceAccountName: 'coredns',
            dnsPolicy: 'Default',
            containers: [{
              name: 'coredns',
              image: COREDNS_IMAGE,
              imagePullPolicy: 'Never',
              args: ['-conf', '/etc/coredns/Corefile'],
              ports: [{ containerPort: 53, name: 'dns', protocol: 'UDP' }, { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
              livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10, failureThreshold: 6 },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, readOnlyRootFilesystem: true },
              volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
            }],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    },
  });
  await pollUntil(async () => {
    const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace, labelSelector: 'kubernetes.io/service-name=kube-dns' });
    return slices.items.some((s) => (s.endpoints ?? []).some((e) => e.conditions?.ready === true));
  }, { what: 'CoreDNS to be ready (kube-system/kube-dns)', timeoutMs: remaining(), abort: anyExited, intervalMs: 500 });
}

const ROUTER_CHAIN = /^(KUBE-ROUTER-|KUBE-POD-FW-|KUBE-NWPLCY-)/;
const ROUTER_IPSET = /^(inet6:)?KUBE-(SRC|DST)-/;

/**
 * Removes kube-proxy's rules (`kube-proxy --cleanup`) and kube-router's policy chains and
 * ipsets (what its `--cleanup-config` does for the policy controller, without its routing and
 * IPVS clean-ups, which would touch what the tier never made).
 */
export function cleanupK3sNetwork(binDir: string): void {
  spawnSync(join(binDir, 'kube-proxy'), ['--cleanup', '--v=0'], { stdio: 'ignore', timeout: 60_000 });
  for (const family of ['iptables', 'ip6tables']) {
    const saved = spawnSync(`${family}-save`, ['-t', 'filter'], { encoding: 'utf8' }).stdout;
    const chains = saved.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0] ?? '').filter((c) => ROUTER_CHAIN.test(c));
    for (const line of saved.split('\n')) {
      const jump = / -j (\S+)/.exec(line)?.[1];
      const chain = /^-A (\S+) /.exec(line)?.[1];
      if (jump && chain && ROUTER_CHAIN.test(jump) && !ROUTER_CHAIN.test(chain)) {
        spawnSync('sh', ['-c', `${family} -t filter ${line.replace(/^-A /, '-D ')}`], { stdio: 'ignore' });
      }
    }
    for (const chain of chains) spawnSync(family, ['-t', 'filter', '-F', chain], { stdio: 'ignore' });
    for (const chain of chains) spawnSync(family, ['-t', 'filter', '-X', chain], { stdio: 'ignore' });
  }
  // kube-proxy makes kubelet's KUBE-FIREWALL chain too and (on purpose) leaves it: ours to remove.
  for (const hook of ['INPUT', 'OUTPUT']) {
    while (spawnSync('iptables', ['-t', 'filter', '-D', hook, '-j', 'KUBE-FIREWALL'], { stdio: 'ignore' }).status === 0) { /* every copy */ }
  }
  spawnSync('iptables', ['-t', 'filter', '-F', 'KUBE-FIREWALL'], { stdio: 'ignore' });
  spawnSync('iptables', ['-t', 'filter', '-X', 'KUBE-FIREWALL'], { stdio: 'ignore' });
  const sets = spawnSync('ipset', ['list', '-n'], { encoding: 'utf8' }).stdout.split('\n').filter((n) => ROUTER_IPSET.test(n));
  for (const name of sets) spawnSync('ipset', ['destroy', name], { stdio: 'ignore' });
}
