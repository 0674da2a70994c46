// A real node for the test control plane: containerd + runc + a CNI bridge on a pod range of
// its own, a kubelet joined with a node certificate from the test CA, a registry standing in
// for Harbor and Traefik watching Ingresses, all on this machine. Images are made locally
// (oci-image.ts) and imported; nothing is ever pulled from the internet.
//
// Network rule: before the kubelet starts, packets from the pod bridge or the pod range to
// anything outside the pod range are dropped (FORWARD and INPUT), IPv6 is off on the bridge,
// and IP forwarding is left as the machine has it. No container can send a packet off the
// machine, and the host's own services on other addresses are out of reach.
//
// Teardown undoes everything the start did (processes, containers and their shims, mounts,
// network namespaces, cgroups, the bridge, the iptables chain, sysctls, mount propagation),
// and a start first clears what a killed run left behind, so a second run on the same
// machine works.
import { spawn, spawnSync, execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import bcrypt from 'bcryptjs';
import { ApiregistrationV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';

import { serviceAccountToken, tokenKubeconfig } from './access.js';
import { BUSYBOX_IMAGE, CLUSTER_DNS_IP, CLUSTER_DOMAIN, busyboxImage, cleanupK3sNetwork, coreDnsImage, startK3sParts } from './k3s-node.js';
import { writeImageArchive, sharedLibraryEntries } from './oci-image.js';
import type { ImageEntry } from './oci-image.js';
import { createClusterServingCert, createNodeCerts, writeKubeconfig } from './pki.js';
import type { Pki } from './pki.js';
import { freePort, httpGet, isAlive, pollUntil, terminate } from './util.js';

const runFile = promisify(execFile);

export const REAL_NODE_NAME = 'dangus-node-0';
export const POD_CIDR = '10.88.0.0/16';
/** The bridge's address: the node's IP, where the kubelet, the registry and test servers listen. */
export const NODE_IP = '10.88.0.1';
const BRIDGE = 'dangus0';
const EGRESS_CHAIN = 'DANGUS-POD-EGRESS';
/** The kubelet's cgroup parent, so its pods' cgroups are ours alone to remove. */
const CGROUP_ROOT = 'dangus-e2e';
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
/** The node runs containerd 2.x and the kubelet's evented PLEG (an experiment: build.sh --containerd2). */
const EVENTED_PLEG = process.env.DANGUS_EVENTED_PLEG === '1';
/** The builder image the product pins by default: Kaniko built from that module version. */
export const KANIKO_IMAGE = 'gcr.io/kaniko-project/executor:v1.23.2';
/** The git image of the build's fetch-source step: the host's git and busybox. */
export const GIT_IMAGE = 'dangus-e2e.local/git:1';
/** The name of our containerd's socket: its shims' command lines name it, and no other's. */
const SHIM_MARKER = 'dangus-e2e-containerd.sock';
/**
 * What Service traffic between pods of the one bridge needs (kube-proxy's DNAT to a pod on
 * the same bridge, and its reply un-DNATed): routing through the node and bridged packets
 * seen by iptables. Set at start, put back at teardown; the egress guard drops whatever
 * would leave the pod range.
 */
const FORWARDING_SYSCTLS = ['net/ipv4/ip_forward', 'net/bridge/bridge-nf-call-iptables'];
/**
 * The egress guard lives in the `security` table, which netfilter runs after `filter` at
 * each hook: an ACCEPT of kube-router's or kube-proxy's (in `filter`) cannot skip it, and
 * what a NetworkPolicy refuses is refused by kube-router first (REJECT), as on k3s.
 */
const GUARD_TABLE = 'security';
const SYSCTLS = ['vm/overcommit_memory', 'kernel/panic', 'kernel/panic_on_oops', ...FORWARDING_SYSCTLS, 'net/ipv4/conf/all/route_localnet'];
const IPTABLES_HOOKS: [string, string[]][] = [
  ['FORWARD', ['-i', BRIDGE]],
  ['FORWARD', ['-s', POD_CIDR]],
  ['INPUT', ['-i', BRIDGE]],
  ['INPUT', ['-s', POD_CIDR]],
];

export interface RealNodeOptions {
  dataDir: string;
  binDir: string;
  server: string;
  pki: Pki;
  log: (line: string) => void;
  /** Milliseconds left for the whole start. */
  remaining: () => number;
  /** Extra CA certificates (PEM) the git image trusts: for a test's HTTPS git server. */
  gitCaCerts?: string[];
}

export interface RealNode {
  name: string;
  ip: string;
  podCidr: string;
  /** host:port of the registry (plain HTTP, bearer tokens from `registryToken`'s realm), on the node IP. */
  registryHost: string;
  /** What a token service must serve for the registry to take its tokens (no one serves it until a test does). */
  registryToken: RegistryTokenSettings;
  /**
   * Where the registry sends its push notifications (distribution's `notifications`, with
   * this bearer token), as Harbor's webhook would: a platform that takes them listens on
   * `port` (loopback); until one does, the registry retries and gives up.
   */
  registryNotifications: { url: string; port: number; token: string };
  /** Traefik's web entry point: http://127.0.0.1:<port>. */
  ingressUrl: string;
  /** A busybox image on the node (sh, nc, wget, nslookup, httpd) for test pods; never pulled. */
  busyboxImage: string;
  /** The `kube-dns` Service's cluster IP (the kubelet's clusterDNS). */
  clusterDnsIp: string;
  /** host:port of the apiserver on the node IP: the endpoint of the `kubernetes` Service, as on k3s. */
  apiserverOnNode: string;
  /** containerd's socket (for `ctr --address`). */
  containerdAddress: string;
  /** Imports an OCI image archive into the node's image store. */
  importImage(archive: string): Promise<void>;
  /** Makes the git image again with these extra CA certificates and imports it. */
  trustGitCa(caPems: string[]): Promise<void>;
  /**
   * A second registry on the node IP that takes only these accounts (distribution's
   * `auth: htpasswd`, HTTP Basic), as a registry with one shared robot does: anonymous
   * pulls and pushes are refused. Its host:port; it stops with the node.
   */
  startPasswordRegistry(accounts: { username: string; password: string }[]): Promise<string>;
  pids: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * The registry's token auth (distribution's `auth: token`, the flow of Harbor's registry): a
 * client answered 401 with `Bearer realm=…,service=…` asks the realm for a token with its
 * credentials and the scopes it needs, and sends it back as `Authorization: Bearer`. The
 * registry takes tokens from `issuer` for `service`, signed ES256 with this key (`kid` =
 * `keyId`), and grants only the actions their `access` claim lists.
 */
export interface RegistryTokenSettings {
  /** http://{host}:{port}/service/token: where the registry sends clients. */
  realm: string;
  host: string;
  port: number;
  service: string;
  issuer: string;
  keyId: string;
  /** PKCS#8 PEM of the P-256 signing key. */
  privateKeyPem: string;
  /** The public half, as the registry's JWKS holds it. */
  publicJwk: JsonWebKey;
}

function registryTokenSettings(host: string, port: number): RegistryTokenSettings {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const keyId = createHash('sha256').update(JSON.stringify([jwk.crv, jwk.x, jwk.y])).digest('base64url').slice(0, 16);
  return {
    realm: `http://${host}:${String(port)}/service/token`,
    host,
    port,
    service: 'dangus-e2e-registry',
    issuer: 'dangus-e2e-harbor-token-service',
    keyId,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicJwk: { ...jwk, kid: keyId, use: 'sig', alg: 'ES256' },
  };
}

function which(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function sh(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  if (result.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.error?.message}`);
  }
  return result.stdout;
}

/** What the tier needs from the machine, with how to get it. */
export function realNodePrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (the kubelet and containerd manage mounts, cgroups and network namespaces)');
  for (const [tool, pkg] of [
    ['containerd', 'containerd'], ['ctr', 'containerd'], ['runc', 'runc'], ['iptables', 'iptables'], ['ipset', 'ipset'], ['ip', 'iproute2'],
    ['git', 'git'], ['gcc', 'gcc'], ['ldd', 'libc-bin'], ['mount', 'mount'],
  ] as const) {
    if (!which(tool)) missing.push(`${tool} (apt-get install ${pkg})`);
  }
  for (const plugin of ['bridge', 'host-local', 'loopback']) {
    if (!existsSync(`/usr/lib/cni/${plugin}`)) missing.push(`/usr/lib/cni/${plugin} (apt-get install containernetworking-plugins)`);
  }
  if (!existsSync('/bin/busybox') && !existsSync('/usr/bin/busybox')) missing.push('busybox (apt-get install busybox-static)');
  return missing;
}


function busyboxPath(): string {
  return existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';
}

/** Kills every process whose command line mentions `marker` (leftover containerd shims). */
function killProcessesMentioning(marker: string): void {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (Number(pid) !== process.pid && cmdline.includes(marker)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Mount points at or under `prefix`, deepest first. */
function mountsUnder(prefix: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && (point === prefix || point.startsWith(`${prefix}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function unmountUnder(prefix: string): void {
  for (const point of mountsUnder(prefix)) sh('umount', ['-l', point], { allowFail: true });
}

/** Removes a cgroup directory tree bottom-up, killing what is still in it. */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  }
  try {
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
  } catch {
    // no procs file
  }
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      spawnSync('sleep', ['0.1']);
    }
  }
}

/** The kubelet's cgroup root, in every v1 hierarchy (the kubelet wants it to exist). */
async function createCgroups(): Promise<void> {
  for (const controller of readdirSync('/sys/fs/cgroup')) {
    if (controller === 'unified') continue;
    const dir = join('/sys/fs/cgroup', controller, CGROUP_ROOT);
    await mkdir(dir, { recursive: true });
    if (controller === 'cpuset') {
      // A cpuset cgroup takes tasks only once it has CPUs and memory nodes.
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        await writeFile(join(dir, file), readFileSync(join('/sys/fs/cgroup/cpuset', file), 'utf8').trim());
      }
    }
  }
}

function removeCgroups(): void {
  for (const controller of readdirSync('/sys/fs/cgroup')) {
    removeCgroupTree(join('/sys/fs/cgroup', controller, CGROUP_ROOT));
  }
}

function removeNetwork(): void {
  for (const [chain, match] of IPTABLES_HOOKS) {
    for (const table of [GUARD_TABLE, 'filter']) {
      while (spawnSync('iptables', ['-t', table, '-D', chain, ...match, '-j', EGRESS_CHAIN]).status === 0) { /* every copy */ }
    }
  }
  for (const table of [GUARD_TABLE, 'filter']) {
    sh('iptables', ['-t', table, '-F', EGRESS_CHAIN], { allowFail: true });
    sh('iptables', ['-t', table, '-X', EGRESS_CHAIN], { allowFail: true });
  }
  while (spawnSync('ip6tables', ['-D', 'FORWARD', '-i', BRIDGE, '-j', 'DROP']).status === 0) { /* every copy */ }
  sh('ip', ['link', 'del', BRIDGE], { allowFail: true });
}

/** Network namespaces CNI made for our pods (containerd names them cni-<uuid>). */
function removeNetnsCreatedAfter(before: Set<string>): void {
  const dir = '/var/run/netns';
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (before.has(name) || !name.startsWith('cni-')) continue;
    sh('umount', ['-l', join(dir, name)], { allowFail: true });
    sh('rm', ['-f', join(dir, name)], { allowFail: true });
  }
}

/** One real node per machine (one bridge, one cgroup root): its owner's pid is kept here. */
const LOCK_FILE = '/run/dangus-e2e-real-node.pid';

/**
 * Takes the machine's real-node lock. When its owner is gone, first clears what that killed
 * run left: the shims of its containerd, our cgroups, the bridge and the iptables chain.
 */
function takeMachine(log: (line: string) => void, binDir: string): void {
  let owner: number | undefined;
  try {
    owner = Number(readFileSync(LOCK_FILE, 'utf8').trim()) || undefined;
  } catch {
    owner = undefined;
  }
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new Error(`another real node runs on this machine (process ${String(owner)}); one at a time (see ${LOCK_FILE})`);
  }
  writeFileSync(LOCK_FILE, `${String(process.pid)}\n`);
  const left = existsSync(`/sys/class/net/${BRIDGE}`) || existsSync(`/sys/fs/cgroup/memory/${CGROUP_ROOT}`);
  if (!left) return;
  log('clearing what an earlier real-node run left behind');
  killProcessesMentioning(SHIM_MARKER);
  removeCgroups();
  cleanupK3sNetwork(binDir);
  removeNetwork();
}

function releaseMachine(): void {
  try {
    if (Number(readFileSync(LOCK_FILE, 'utf8').trim()) === process.pid) rmSync(LOCK_FILE, { force: true });
  } catch {
    // not ours, or gone
  }
}

async function installNetwork(): Promise<void> {
  sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await writeFile(`/proc/sys/net/ipv6/conf/${BRIDGE}/disable_ipv6`, '1').catch(() => undefined);
  sh('ip', ['addr', 'add', `${NODE_IP}/16`, 'dev', BRIDGE]);
  sh('ip', ['link', 'set', BRIDGE, 'up']);
  const t = ['-t', GUARD_TABLE];
  sh('iptables', [...t, '-N', EGRESS_CHAIN]);
  sh('iptables', [...t, '-A', EGRESS_CHAIN, '-d', POD_CIDR, '-j', 'RETURN']);
  sh('iptables', [...t, '-A', EGRESS_CHAIN, '-j', 'DROP']);
  for (const [chain, match] of IPTABLES_HOOKS) sh('iptables', [...t, '-I', chain, '1', ...match, '-j', EGRESS_CHAIN]);
  sh('ip6tables', ['-I', 'FORWARD', '1', '-i', BRIDGE, '-j', 'DROP'], { allowFail: true });
}

/** The rules installNetwork() put in place, read back from the kernel (for the tests). */
export function podEgressRules(): string {
  return sh('iptables', ['-t', GUARD_TABLE, '-S', EGRESS_CHAIN], { allowFail: true });
}

async function gitImageEntries(caPems: string[]): Promise<ImageEntry[]> {
  const git = '/usr/bin/git';
  const helpers = ['/usr/lib/git-core/git-remote-https', '/usr/lib/git-core/git-remote-http'].filter((p) => existsSync(p));
  // Only the test CAs: the fetch may reach nothing else anyway.
  const bundle = caPems.join('\n');
  const busybox = busyboxPath();
  return [
    { path: '/usr/bin/git', from: git },
    { path: '/usr/lib/git-core/git', from: git },
    ...helpers.map((p) => ({ path: p, from: p })),
    ...(await sharedLibraryEntries([git, ...helpers])),
    { path: '/bin/busybox', from: busybox },
    ...['sh', 'cat', 'base64', 'tr', 'echo', 'rm'].map((tool) => ({ path: `/bin/${tool}`, link: 'busybox' })),
    { path: '/etc/ssl/certs/ca-certificates.crt', content: bundle },
    { path: '/etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/workspace:/bin/sh\n' },
    { path: '/etc/group', content: 'root:x:0:\nnonroot:x:65532:\n' },
    { path: '/tmp', dir: true, mode: 0o1777 },
  ];
}

export async function startRealNode(opts: RealNodeOptions): Promise<RealNode> {
  const { log, binDir, pki, server } = opts;
  const missing = realNodePrerequisites();
  if (missing.length > 0) throw new Error(`the real-node tier needs: ${missing.join('; ')}`);
  const dir = join(opts.dataDir, 'node');
  const logDir = join(opts.dataDir, 'logs');
  await mkdir(dir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  takeMachine(log, binDir);

  const processes: { name: string; child: ChildProcess; exited?: string; logFile: string }[] = [];
  const launch = (name: string, cmd: string, args: string[], env: Record<string, string> = {}) => {
    const logFile = join(logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], cwd: dir, env: { ...process.env, ...env } });
    closeSync(fd);
    const entry: { name: string; child: ChildProcess; exited?: string; logFile: string } = { name, child, logFile };
    child.on('error', (error) => (entry.exited = `could not start: ${error.message}`));
    child.on('exit', (code, signal) => (entry.exited = `exited (${signal ?? `code ${code}`})`));
    processes.push(entry);
    return entry;
  };
  const anyExited = () => {
    const dead = processes.find((p) => p.exited !== undefined);
    if (!dead) return undefined;
    let tail: string;
    try {
      tail = readFileSync(dead.logFile, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
    } catch {
      tail = '(no log)';
    }
    return `${dead.name} ${dead.exited}; last lines of ${dead.logFile}:\n${tail}`;
  };

  // Host state we change and put back.
  const sysctlsBefore = new Map(SYSCTLS.filter((key) => existsSync(`/proc/sys/${key}`)).map((key) => [key, readFileSync(`/proc/sys/${key}`, 'utf8').trim()]));
  const rootWasShared = /\s\/\s[^-]*shared:/.test(
    readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((line) => line.split(' ')[4] === '/') ?? '',
  );
  const netnsBefore = new Set(existsSync('/var/run/netns') ? readdirSync('/var/run/netns') : []);
  const containerLogsExisted = existsSync('/var/log/containers');
  const containerLogsBefore = new Set(containerLogsExisted ? readdirSync('/var/log/containers') : []);
  const containerdAddress = join(dir, 'containerd', SHIM_MARKER);
  const ctr = (...args: string[]) => runFile('ctr', ['--address', containerdAddress, '-n', 'k8s.io', ...args]);
  let stopped = false;
  let k3sParts: Awaited<ReturnType<typeof startK3sParts>> | undefined;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const byName = (name: string) => processes.find((p) => p.name === name);
    for (const name of ['metrics-server', 'traefik', 'registry', 'registry-htpasswd', 'local-path-provisioner', 'kube-proxy', 'kube-router', 'kubelet']) {
      const p = byName(name);
      if (p?.child.pid !== undefined && p.exited === undefined) await terminate(p.child.pid, 10_000);
    }
    const containerd = byName('containerd');
    if (containerd?.child.pid !== undefined && containerd.exited === undefined) {
      // Stop every container through containerd, so that the shims exit with them.
      try {
        const { stdout } = await ctr('tasks', 'ls', '-q');
        for (const id of stdout.split('\n').filter(Boolean)) {
          await ctr('tasks', 'kill', '-s', 'SIGKILL', id).catch(() => undefined);
        }
        for (const id of stdout.split('\n').filter(Boolean)) {
          await pollUntil(async () => (await ctr('tasks', 'delete', id).then(() => true, () => false)), {
            what: `task ${id} to go`, timeoutMs: 5_000, intervalMs: 100,
          }).catch(() => undefined);
        }
      } catch {
        // containerd is not answering: the shims are killed below
      }
      await terminate(containerd.child.pid, 10_000);
    }
    killProcessesMentioning(containerdAddress);
    removeCgroups();
    removeNetnsCreatedAfter(netnsBefore);
    unmountUnder(dir);
    await k3sParts?.stop();
    cleanupK3sNetwork(binDir);
    removeNetwork();
    for (const [key, value] of sysctlsBefore) await writeFile(`/proc/sys/${key}`, value).catch(() => undefined);
    if (!rootWasShared) sh('mount', ['--make-rprivate', '/'], { allowFail: true });
    if (existsSync('/var/log/containers')) {
      for (const name of readdirSync('/var/log/containers')) {
        if (!containerLogsBefore.has(name)) sh('rm', ['-f', join('/var/log/containers', name)], { allowFail: true });
      }
      // The kubelet makes this directory (a fixed path) for its symlinks.
      if (!containerLogsExisted) sh('rmdir', ['/var/log/containers'], { allowFail: true });
    }
    releaseMachine();
  };

  try {
    // 1. The network and its guard rails, before anything can start a pod.
    await installNetwork();
    for (const key of FORWARDING_SYSCTLS) {
      if (!existsSync(`/proc/sys/${key}`)) throw new Error(`/proc/sys/${key} is missing (Service traffic on the bridge needs br_netfilter)`);
      await writeFile(`/proc/sys/${key}`, '1');
    }
    log(`pod network ${POD_CIDR} on ${BRIDGE} (${NODE_IP}); egress outside it dropped`);

    // 2. containerd with the CRI plugin, its own root, state and socket.
    const cniConfDir = join(dir, 'cni', 'net.d');
    const certsDir = join(dir, 'containerd', 'certs.d');
    await mkdir(cniConfDir, { recursive: true });
    await mkdir(certsDir, { recursive: true });
    await writeFile(join(cniConfDir, '10-dangus.conflist'), JSON.stringify({
      cniVersion: '1.0.0',
      name: 'dangus-e2e',
      plugins: [{
        type: 'bridge', bridge: BRIDGE, isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: {
          type: 'host-local', ranges: [[{ subnet: POD_CIDR, gateway: NODE_IP, rangeStart: '10.88.1.2' }]],
          routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'cni', 'ipam'),
        },
      }],
    }, null, 2));
    const containerdConfig = join(dir, 'containerd', 'config.toml');
    await writeFile(containerdConfig, [
      'version = 2',
      `root = "${join(dir, 'containerd', 'root')}"`,
      `state = "${join(dir, 'containerd', 'state')}"`,
      'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = "${containerdAddress}"`,
      '[ttrpc]',
      `  address = "${containerdAddress}.ttrpc"`,
      '[debug]',
      '  level = "warn"',
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      // These VMs refuse to lower oom_score_adj; without this every sandbox fails to start.
      '  restrict_oom_score_adj = true',
      '  enable_selinux = false',
      '  [plugins."io.containerd.grpc.v1.cri".containerd]',
      '    snapshotter = "overlayfs"',
      '    default_runtime_name = "runc"',
      '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      '      runtime_type = "io.containerd.runc.v2"',
      '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
      '        SystemdCgroup = false',
      '  [plugins."io.containerd.grpc.v1.cri".cni]',
      '    bin_dir = "/usr/lib/cni"',
      `    conf_dir = "${cniConfDir}"`,
      '  [plugins."io.containerd.grpc.v1.cri".registry]',
      `    config_path = "${certsDir}"`,
      '',
    ].join('\n'));
    // DANGUS_EVENTED_PLEG=1: containerd 2.x (build.sh --containerd2) with its own runc shim,
    // and the kubelet's evented pod-lifecycle events (EventedPLEG) instead of its relist.
    if (EVENTED_PLEG) {
      const shimDir = join(dir, 'containerd', 'bin');
      await mkdir(shimDir, { recursive: true });
      await symlink(join(binDir, 'containerd2-shim-runc-v2'), join(shimDir, 'containerd-shim-runc-v2'));
      launch('containerd', join(binDir, 'containerd2'), ['--config', containerdConfig], { PATH: `${shimDir}:${process.env.PATH ?? ''}` });
      log('containerd 2.x with EventedPLEG (DANGUS_EVENTED_PLEG)');
    } else {
      launch('containerd', 'containerd', ['--config', containerdConfig]);
    }
    await pollUntil(async () => (await ctr('version').then(() => true, () => false)), {
      what: 'containerd to answer', timeoutMs: opts.remaining(), abort: anyExited,
    });
    log('containerd ready');

    // 3. Local images: the pause image, Kaniko, the build's git image.
    const imagesDir = join(dir, 'images');
    await mkdir(imagesDir, { recursive: true });
    const importImage = async (archive: string) => {
      await ctr('images', 'import', '--no-unpack', archive);
    };
    const pause = join(binDir, 'pause');
    const images: [string, Parameters<typeof writeImageArchive>[0]][] = [
      ['pause', { name: PAUSE_IMAGE, entries: [{ path: '/pause', from: pause }], entrypoint: ['/pause'] }],
      ['kaniko', {
        name: KANIKO_IMAGE,
        entries: [
          { path: '/kaniko/executor', from: join(binDir, 'kaniko-executor') },
          { path: '/kaniko/ssl/certs/ca-certificates.crt', content: '' },
          { path: '/etc/nsswitch.conf', content: 'hosts: files dns\n' },
          { path: '/workspace', dir: true },
          { path: '/kaniko/.docker', dir: true },
        ],
        entrypoint: ['/kaniko/executor'],
        env: ['PATH=/usr/local/bin:/kaniko', 'HOME=/root', 'USER=root', 'DOCKER_CONFIG=/kaniko/.docker/', 'SSL_CERT_DIR=/kaniko/ssl/certs'],
        workingDir: '/workspace',
      }],
      ['git', { name: GIT_IMAGE, entries: await gitImageEntries(opts.gitCaCerts ?? []), entrypoint: ['/usr/bin/git'] }],
      ['coredns', coreDnsImage(binDir)],
      ['busybox', busyboxImage(busyboxPath())],
    ];
    for (const [file, spec] of images) {
      const archive = join(imagesDir, `${file}.tar`);
      await writeImageArchive(spec, archive);
      await importImage(archive);
    }
    const trustGitCa = async (caPems: string[]) => {
      const archive = join(imagesDir, 'git.tar');
      await writeImageArchive({ name: GIT_IMAGE, entries: await gitImageEntries(caPems), entrypoint: ['/usr/bin/git'] }, archive);
      await importImage(archive);
    };
    log(`images imported: ${images.map(([, spec]) => spec.name).join(', ')}`);

    // 4. The kubelet.
    const certs = await createNodeCerts(pki, REAL_NODE_NAME, NODE_IP);
    const kubeletKubeconfig = join(dir, 'kubelet.kubeconfig');
    await writeKubeconfig(kubeletKubeconfig, {
      server, caCert: pki.caCert, clientCert: certs.clientCert, clientKey: certs.clientKey, user: `system:node:${REAL_NODE_NAME}`,
    });
    const [kubeletPort, healthzPort] = [await freePort(NODE_IP), await freePort('127.0.0.1')];
    const kubeletConfig = join(dir, 'kubelet.yaml');
    await writeFile(kubeletConfig, `${JSON.stringify({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: NODE_IP,
      port: kubeletPort,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort,
      tlsCertFile: certs.servingCert,
      tlsPrivateKeyFile: certs.servingKey,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: pki.caCert } },
      authorization: { mode: 'Webhook' },
      containerRuntimeEndpoint: `unix://${containerdAddress}`,
      // This machine has cgroup v1; kubelet 1.36 runs on it only when told to.
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: `/${CGROUP_ROOT}`,
      failSwapOn: false,
      // The host's resolver is not reachable from pods (and must not be).
      resolvConf: '',
      clusterDNS: [CLUSTER_DNS_IP],
      clusterDomain: CLUSTER_DOMAIN,
      podLogsDir: join(dir, 'pod-logs'),
      makeIPTablesUtilChains: false,
      enforceNodeAllocatable: [],
      evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      serializeImagePulls: false,
      nodeStatusUpdateFrequency: '4s',
      syncFrequency: '10s',
      fileCheckFrequency: '60s',
      staticPodPath: '',
      registerNode: true,
      maxPods: 60,
      ...(EVENTED_PLEG ? { featureGates: { EventedPLEG: true } } : {}),
    }, null, 2)}\n`);
    await createCgroups();
    sh('mount', ['--make-rshared', '/']);
    launch('kubelet', join(binDir, 'kubelet'), [
      `--config=${kubeletConfig}`,
      `--kubeconfig=${kubeletKubeconfig}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--cert-dir=${join(dir, 'kubelet-pki')}`,
      `--hostname-override=${REAL_NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
      `--node-labels=dangus.test/node=real`,
      '--v=1',
    ]);
    const kc = new KubeConfig();
    kc.loadFromFile(join(opts.dataDir, 'kubeconfig'));
    const core = kc.makeApiClient(CoreV1Api);
    await pollUntil(
      async () => {
        const node = await core.readNode({ name: REAL_NODE_NAME });
        return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      },
      { what: `node ${REAL_NODE_NAME} to be Ready (kubelet)`, timeoutMs: opts.remaining(), abort: anyExited, intervalMs: 500 },
    );
    log(`kubelet ready: node ${REAL_NODE_NAME} at ${NODE_IP}:${kubeletPort}`);

    // 4b. What k3s runs beside the kubelet: kube-router's policy controller, kube-proxy,
    // CoreDNS, the apiserver on the node IP (k3s-node.ts).
    k3sParts = await startK3sParts({
      kc, server, caCert: pki.caCert, binDir, dir, nodeName: REAL_NODE_NAME, nodeIp: NODE_IP, podCidr: POD_CIDR,
      log, launch, anyExited, remaining: opts.remaining, freePortOn: freePort,
    });

    // 5. The registry, standing in for Harbor's: plain HTTP, distribution's token auth, as
    // Harbor's registry runs it. It trusts one ES256 key (a JWKS file) and sends clients for
    // their tokens to a realm on the node IP, which the test's token service (the fake
    // Harbor's, FakeHarbor.startTokenService) serves with that key.
    const registryPort = await freePort(NODE_IP);
    const registryHost = `${NODE_IP}:${registryPort}`;
    await mkdir(join(dir, 'registry', 'data'), { recursive: true });
    const tokenPort = await freePort(NODE_IP);
    const registryToken = registryTokenSettings(NODE_IP, tokenPort);
    const jwks = join(dir, 'registry', 'jwks.json');
    await writeFile(jwks, `${JSON.stringify({ keys: [registryToken.publicJwk] })}\n`);
    const registryConfig = join(dir, 'registry', 'config.yml');
    const notifyPort = await freePort('127.0.0.1');
    const registryNotifications = { url: `http://127.0.0.1:${String(notifyPort)}/webhooks/registry`, port: notifyPort, token: randomBytes(24).toString('hex') };
    await writeFile(registryConfig, `${JSON.stringify({
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir, 'registry', 'data') }, delete: { enabled: true } },
      notifications: {
        endpoints: [{
          name: 'dangus', url: registryNotifications.url, headers: { Authorization: [`Bearer ${registryNotifications.token}`] },
          timeout: '2s', threshold: 3, backoff: '1s', ignore: { actions: ['pull', 'mount', 'delete'] },
        }],
      },
      http: { addr: registryHost, debug: { addr: '', prometheus: { enabled: false } } },
      auth: {
        token: {
          realm: registryToken.realm,
          service: registryToken.service,
          issuer: registryToken.issuer,
          jwks,
          signingalgorithms: ['ES256'],
        },
      },
    })}\n`);
    launch('registry', join(binDir, 'registry'), ['serve', registryConfig], { OTEL_TRACES_EXPORTER: 'none' });
    // containerd pulls from it over plain HTTP only with a hosts.toml for exactly that host.
    const plainHttp = async (host: string) => {
      await mkdir(join(certsDir, host), { recursive: true });
      await writeFile(join(certsDir, host, 'hosts.toml'), [
        `server = "http://${host}"`,
        `[host."http://${host}"]`,
        '  capabilities = ["pull", "resolve"]',
        '',
      ].join('\n'));
    };
    await plainHttp(registryHost);
    await pollUntil(async () => (await httpGet(`http://${registryHost}/v2/`)).status === 401, {
      what: 'the registry to answer', timeoutMs: opts.remaining(), abort: anyExited,
    });
    log(`registry at ${registryHost}`);
    const startPasswordRegistry = async (accounts: { username: string; password: string }[]): Promise<string> => {
      const root = join(dir, 'registry-htpasswd');
      await mkdir(join(root, 'data'), { recursive: true });
      const htpasswd = join(root, 'htpasswd');
      // distribution reads bcrypt entries only.
      await writeFile(htpasswd, accounts.map((a) => `${a.username}:${bcrypt.hashSync(a.password, 10)}\n`).join(''));
      const host = `${NODE_IP}:${String(await freePort(NODE_IP))}`;
      const config = join(root, 'config.yml');
      await writeFile(config, `${JSON.stringify({
        version: 0.1,
        log: { level: 'warn', accesslog: { disabled: true } },
        storage: { filesystem: { rootdirectory: join(root, 'data') } },
        http: { addr: host, debug: { addr: '', prometheus: { enabled: false } } },
        auth: { htpasswd: { realm: 'dangus-e2e-shared-registry', path: htpasswd } },
      })}\n`);
      launch('registry-htpasswd', join(binDir, 'registry'), ['serve', config], { OTEL_TRACES_EXPORTER: 'none' });
      await plainHttp(host);
      await pollUntil(async () => (await httpGet(`http://${host}/v2/`)).status === 401, {
        what: 'the password registry to answer', timeoutMs: 30_000, abort: anyExited,
      });
      log(`password registry at ${host}`);
      return host;
    };

    // 6. Traefik, as k3s runs it: the Kubernetes Ingress provider, class `traefik`.
    const traefikToken = await traefikAccess(kc);
    const [webPort, pingPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
    const traefikConfig = join(dir, 'traefik.yml');
    await writeFile(traefikConfig, `${JSON.stringify({
      global: { checkNewVersion: false, sendAnonymousUsage: false },
      log: { level: 'WARN' },
      entryPoints: { web: { address: `127.0.0.1:${webPort}` }, traefik: { address: `127.0.0.1:${pingPort}` } },
      ping: { entryPoint: 'traefik' },
      providers: {
        kubernetesIngress: {
          endpoint: server,
          token: traefikToken,
          certAuthFilePath: pki.caCert,
          ingressClass: 'traefik',
          throttleDuration: '0s',
        },
      },
    })}\n`);
    launch('traefik', join(binDir, 'traefik'), [`--configfile=${traefikConfig}`]);
    await pollUntil(async () => (await httpGet(`http://127.0.0.1:${pingPort}/ping`)).status === 200, {
      what: 'Traefik /ping', timeoutMs: opts.remaining(), abort: anyExited,
    });
    const ingressUrl = `http://127.0.0.1:${webPort}`;
    log(`traefik at ${ingressUrl}`);

    // 7. metrics-server, as k3s ships it: the real kubelet's resource metrics served as
    // metrics.k8s.io, an aggregated API the apiserver reaches at the node address.
    const metricsPort = await freePort(NODE_IP);
    const metricsCert = await createClusterServingCert(pki, 'metrics-server', { dns: ['metrics-server.kube-system.svc'], ips: [NODE_IP] });
    const metricsKubeconfig = join(dir, 'metrics-server.kubeconfig');
    await writeFile(metricsKubeconfig, tokenKubeconfig(server, pki.caCert, await metricsServerAccess(kc)));
    launch('metrics-server', join(binDir, 'metrics-server'), [
      `--kubeconfig=${metricsKubeconfig}`,
      `--authentication-kubeconfig=${metricsKubeconfig}`,
      `--authorization-kubeconfig=${metricsKubeconfig}`,
      `--bind-address=${NODE_IP}`,
      `--secure-port=${String(metricsPort)}`,
      `--tls-cert-file=${metricsCert.cert}`,
      `--tls-private-key-file=${metricsCert.key}`,
      `--kubelet-certificate-authority=${pki.caCert}`,
      '--kubelet-preferred-address-types=InternalIP',
      '--kubelet-use-node-status-port',
      '--metric-resolution=10s',
      '--kubelet-request-timeout=5s',
      '--v=1',
    ]);
    await registerMetricsApi(kc, NODE_IP, metricsPort, pki.caCert);
    await pollUntil(async () => {
      const res = await kc.makeApiClient(ApiregistrationV1Api).readAPIService({ name: 'v1beta1.metrics.k8s.io' });
      return res.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
    }, { what: 'the metrics API (metrics-server) to be Available', timeoutMs: opts.remaining(), abort: anyExited, intervalMs: 500 });
    log(`metrics-server at ${NODE_IP}:${String(metricsPort)}, metrics.k8s.io available`);

    const pids: Record<string, number> = {};
    for (const p of processes) if (p.child.pid !== undefined) pids[p.name] = p.child.pid;
    return {
      name: REAL_NODE_NAME, ip: NODE_IP, podCidr: POD_CIDR, registryHost, registryToken, registryNotifications, ingressUrl,
      containerdAddress, importImage, trustGitCa, startPasswordRegistry, pids, stop,
      busyboxImage: BUSYBOX_IMAGE, clusterDnsIp: CLUSTER_DNS_IP, apiserverOnNode: k3sParts.apiserverOnNode,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    const died = anyExited();
    throw new Error(`could not start the real node: ${(error as Error).message}${died ? `\n${died}` : ''}`, { cause: error });
  }
}

/** A ServiceAccount for Traefik with what its Ingress provider reads, the IngressClass, and a token. */
async function traefikAccess(kc: KubeConfig): Promise<string> {
  await kc.makeApiClient(NetworkingV1Api).createIngressClass({
    body: { metadata: { name: 'traefik' }, spec: { controller: 'traefik.io/ingress-controller' } },
  });
  return serviceAccountToken(kc, 'traefik', [
    { apiGroups: [''], resources: ['services', 'endpoints', 'secrets', 'nodes'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['networking.k8s.io', 'extensions'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['networking.k8s.io', 'extensions'], resources: ['ingresses/status'], verbs: ['update'] },
  ]);
}

/**
 * metrics-server's identity, with the rights its own manifests give it: read nodes and
 * pods, scrape the kubelet's metrics, and delegate authentication and authorization.
 */
async function metricsServerAccess(kc: KubeConfig): Promise<string> {
  return serviceAccountToken(
    kc,
    'metrics-server',
    [
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
    ],
    { clusterRoles: ['system:auth-delegator'], roles: ['extension-apiserver-authentication-reader'] },
  );
}

/**
 * The APIService for metrics.k8s.io, backed by a Service without selector whose endpoint
 * is metrics-server on the node address (the apiserver routes aggregated APIs to
 * endpoints: there is no kube-proxy), trusted through the cluster's CA.
 */
export async function registerMetricsApi(kc: KubeConfig, ip: string, port: number, caCertPath: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedService({
    namespace: 'kube-system',
    body: { metadata: { name: 'metrics-server' }, spec: { ports: [{ name: 'https', port: 443, targetPort: port }] } },
  });
  await core.createNamespacedEndpoints({
    namespace: 'kube-system',
    body: { metadata: { name: 'metrics-server' }, subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port }] }] },
  });
  await kc.makeApiClient(ApiregistrationV1Api).createAPIService({
    body: {
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { namespace: 'kube-system', name: 'metrics-server', port: 443 },
        caBundle: readFileSync(caCertPath).toString('base64'),
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  });
}
