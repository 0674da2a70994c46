// A real Kubernetes control plane for the tests: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler built from their Go modules, with kwok as
// the simulated node(s). Everything listens on free loopback ports; all state lives in a
// data directory that stop() removes.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

import { ensureBinaries, pinnedVersions } from './binaries.js';
import { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE, kwokConfig } from './kwok-config.js';
import { KubeletLogServer } from './kubelet-logs.js';
import { createPki, writeKubeconfig } from './pki.js';
import { startRealNode } from './real-node.js';
import type { RealNode } from './real-node.js';
import type { Pki } from './pki.js';
import { freePorts, httpGet, isAlive, pollUntil, terminate } from './util.js';

export interface ClusterOptions {
  /** Number of simulated (kwok) nodes, named kwok-node-0..N-1. Default 1, or 0 with `realNode`. */
  nodes?: number;
  /**
   * Join a real node (kubelet, containerd, runc, a CNI bridge, a registry and Traefik on
   * this machine; real-node.ts). Needs root. Default false.
   */
  realNode?: boolean;
  /** Where to keep state; default a new temp dir. Removed by stop() either way. */
  dataDir?: string;
  /** Directory with the five binaries; default: the build cache (built by build.sh if needed). */
  binDir?: string;
  /** Progress lines; default: stderr. */
  log?: (line: string) => void;
  /** Upper bound for the whole start. Default 5 minutes (generous: 2 shared cores). */
  startTimeoutMs?: number;
}

export interface ComponentInfo {
  pid: number;
  logFile: string;
}

export interface Cluster {
  /** Admin (system:masters) kubeconfig, inside dataDir. */
  kubeconfigPath: string;
  dataDir: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** The pinned Kubernetes release (what /version reports). */
  version: string;
  /** Simulated node names. */
  nodes: string[];
  /** The real node, when asked for. */
  realNode?: RealNode;
  components: Record<string, ComponentInfo>;
  /** Stops every process, then removes dataDir. Safe to call twice. */
  stop(): Promise<void>;
}

/** The shape written to <dataDir>/cluster.json (read by the CLI's `down`). */
export interface ClusterState {
  kubeconfigPath: string;
  dataDir: string;
  server: string;
  version: string;
  nodes: string[];
  components: Record<string, ComponentInfo>;
  /** The process that owns the children (the CLI supervisor or the jest process). */
  ownerPid: number;
}

const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_IP = '10.96.0.1';
const POD_CIDR = '10.244.0.1/16';
const STOP_STAGES = [['kwok', 'kube-scheduler', 'kube-controller-manager'], ['kube-apiserver'], ['etcd']];

interface Running {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited?: string;
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[dangus-cluster] ${line}\n`));
  const timeoutMs = opts.startTimeoutMs ?? 300_000;
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const version = pinnedVersions().kubernetes;
  const bin = opts.binDir ?? (await ensureBinaries(log, { node: opts.realNode === true }));
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'dangus-cluster-')));
  await mkdir(dataDir, { recursive: true });
  const logDir = join(dataDir, 'logs');
  await mkdir(logDir, { recursive: true });

  const running: Running[] = [];
  let logServer: KubeletLogServer | undefined;
  let realNode: RealNode | undefined;
  let stopped = false;

  const launch = (name: string, args: string[]): Running => {
    const logFile = join(logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(join(bin, name), args, { stdio: ['ignore', fd, fd], cwd: dataDir });
    closeSync(fd);
    const r: Running = { name, child, logFile };
    child.on('error', (err) => (r.exited = `could not start: ${err.message}`));
    child.on('exit', (code, signal) => (r.exited = `exited (${signal ?? `code ${code}`})`));
    running.push(r);
    return r;
  };
  const anyExited = (): string | undefined => {
    const dead = running.find((r) => r.exited !== undefined);
    return dead ? `${dead.name} ${dead.exited}; last lines of ${dead.logFile}:\n${tail(dead.logFile)}` : undefined;
  };
  const deadline = t0 + timeoutMs;
  const remaining = () => Math.max(1_000, deadline - Date.now());

  const stopProcesses = async (): Promise<void> => {
    // The node first, while the apiserver still answers its last calls.
    await realNode?.stop();
    await logServer?.stop();
    // Clients first (together), then the apiserver, etcd last.
    for (const names of STOP_STAGES) {
      await Promise.all(
        running
          .filter((r) => names.includes(r.name) && r.child.pid !== undefined)
          .map((r) => terminate(r.child.pid as number)),
      );
    }
  };
  // Last resort if the owning process exits without stop() (a crash, process.exit()):
  // no orphaned control plane, no leftover data.
  const onExit = () => {
    if (stopped) return;
    for (const r of running) if (r.exited === undefined && r.child.pid !== undefined) r.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    await stopProcesses();
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    const [etcdClient, etcdPeer, apiPort, cmPort, schedPort, kubeletPort] = (await freePorts(6)) as [
      number, number, number, number, number, number,
    ];

    // etcd needs no certificates: start it while they are made.
    launch('etcd', [
      '--name=dangus-e2e',
      `--data-dir=${join(dataDir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=dangus-e2e=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync', // throwaway data: no fsync keeps tests fast
      '--quota-backend-bytes=1073741824',
      '--log-level=warn',
    ]);
    const pki: Pki = await createPki(join(dataDir, 'pki'), SERVICE_IP);
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    const cmKubeconfig = join(dataDir, 'controller-manager.kubeconfig');
    const schedKubeconfig = join(dataDir, 'scheduler.kubeconfig');
    await writeKubeconfig(kubeconfigPath, {
      server, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey, user: 'dangus-e2e-admin',
    });
    await writeKubeconfig(cmKubeconfig, {
      server, caCert: pki.caCert, clientCert: pki.controllerManagerCert, clientKey: pki.controllerManagerKey,
      user: 'system:kube-controller-manager',
    });
    await writeKubeconfig(schedKubeconfig, {
      server, caCert: pki.caCert, clientCert: pki.schedulerCert, clientKey: pki.schedulerKey,
      user: 'system:kube-scheduler',
    });

    await pollUntil(
      async () => (await httpGet(`http://127.0.0.1:${etcdClient}/health`)).body.includes('"health":"true"'),
      { what: 'etcd to be healthy', timeoutMs: remaining(), abort: anyExited },
    );
    log(`etcd ready (${elapsed()})`);

    launch('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dataDir, 'apiserver')}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--kubelet-client-certificate=${pki.kubeletClientCert}`,
      `--kubelet-client-key=${pki.kubeletClientKey}`,
      `--kubelet-certificate-authority=${pki.caCert}`,
      '--kubelet-preferred-address-types=InternalIP',
      // Request-header (front-proxy) auth, as kubeadm sets it up: aggregated APIs work, and
      // the controller-manager and scheduler find the CA bundle they look for.
      `--requestheader-client-ca-file=${pki.caCert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
      `--proxy-client-key-file=${pki.frontProxyClientKey}`,
      // Aggregated APIs (metrics-server in the real-node tier) are reached at their
      // endpoints: there is no kube-proxy to route a Service's cluster IP.
      '--enable-aggregator-routing=true',
      // The `kubernetes` Service gets no endpoints: 127.0.0.1 is not a valid endpoint address,
      // and no pod really runs to use it.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=1',
    ]);
    const adminTls = {
      ca: await readFile(pki.caCert),
      cert: await readFile(pki.adminCert),
      key: await readFile(pki.adminKey),
    };
    await pollUntil(async () => (await httpGet(`${server}/readyz`, adminTls)).status === 200, {
      what: 'kube-apiserver /readyz',
      timeoutMs: remaining(),
      abort: anyExited,
    });
    log(`kube-apiserver ready at ${server} (${elapsed()})`);

    const authFlags = (kubeconfig: string) => [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      '--leader-elect=false',
      '--profiling=false',
    ];
    launch('kube-controller-manager', [
      ...authFlags(cmKubeconfig),
      `--secure-port=${cmPort}`,
      `--cert-dir=${join(dataDir, 'controller-manager')}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=true',
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--cluster-name=dangus-e2e',
      '--kube-api-qps=100',
      '--kube-api-burst=200',
      '--v=1',
    ]);
    launch('kube-scheduler', [
      ...authFlags(schedKubeconfig),
      `--secure-port=${schedPort}`,
      `--cert-dir=${join(dataDir, 'scheduler')}`,
      '--v=1',
    ]);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);

    // The nodes' kubelet endpoint (pods/log) is served here, in this process.
    logServer = new KubeletLogServer(kc, { certFile: pki.kubeletServingCert, keyFile: pki.kubeletServingKey }, log);
    await logServer.start(kubeletPort);
    const kwokConfigPath = join(dataDir, 'kwok.yaml');
    await writeFile(kwokConfigPath, kwokConfig({ kubeletVersion: version, kubeletPort }));

    const nodes = Array.from({ length: Math.max(0, opts.nodes ?? (opts.realNode ? 0 : 1)) }, (_, i) => `kwok-node-${i}`);
    for (const name of nodes) {
      await core.createNode({
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name,
            annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE, 'node.alpha.kubernetes.io/ttl': '0' },
            labels: {
              'kubernetes.io/hostname': name,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
              type: 'kwok',
            },
          },
        },
      });
    }
    if (nodes.length > 0) launch('kwok', [
      `--kubeconfig=${kubeconfigPath}`,
      `--config=${kwokConfigPath}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=${KWOK_NODE_ANNOTATION_VALUE}`,
      '--node-ip=127.0.0.1',
      '--node-lease-duration-seconds=40',
      `--cidr=${POD_CIDR}`,
    ]);

    const insecure = { insecure: true };
    await Promise.all([
      pollUntil(async () => (await httpGet(`https://127.0.0.1:${cmPort}/healthz`, insecure)).status === 200, {
        what: 'kube-controller-manager /healthz', timeoutMs: remaining(), abort: anyExited,
      }),
      pollUntil(async () => (await httpGet(`https://127.0.0.1:${schedPort}/healthz`, insecure)).status === 200, {
        what: 'kube-scheduler /healthz', timeoutMs: remaining(), abort: anyExited,
      }),
      pollUntil(
        async () => {
          const list = await core.listNode();
          return nodes.every((n) =>
            list.items.some(
              (item) =>
                item.metadata?.name === n &&
                item.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
            ),
          );
        },
        { what: `nodes ${nodes.join(', ')} to be Ready (kwok)`, timeoutMs: remaining(), abort: anyExited },
      ),
      // Pods are refused until the namespace has its `default` ServiceAccount (controller-manager).
      pollUntil(() => core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }), {
        what: 'the default ServiceAccount', timeoutMs: remaining(), abort: anyExited,
      }),
    ]);
    if (opts.realNode) {
      realNode = await startRealNode({ dataDir, binDir: bin, server, pki, log, remaining });
    }
    log(`cluster ready: ${nodes.length} kwok node(s)${realNode ? `, real node ${realNode.name}` : ''}, kubeconfig ${kubeconfigPath} (${elapsed()})`);

    const components: Record<string, ComponentInfo> = {};
    for (const r of running) components[r.name] = { pid: r.child.pid as number, logFile: r.logFile };
    const state: ClusterState = {
      kubeconfigPath, dataDir, server, version, nodes, components, ownerPid: process.pid,
    };
    await writeFile(join(dataDir, 'cluster.json'), `${JSON.stringify(state, null, 2)}\n`);
    if (realNode) for (const [name, pid] of Object.entries(realNode.pids)) components[name] = { pid, logFile: join(logDir, `${name}.log`) };
    return { kubeconfigPath, dataDir, server, version, nodes, components, stop, ...(realNode ? { realNode } : {}) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const died = anyExited();
    // Keep the component logs for a post-mortem; drop everything else.
    stopped = true;
    process.removeListener('exit', onExit);
    await stopProcesses().catch(() => {});
    const keptLogs = `${dataDir}.failed-logs`;
    await rename(logDir, keptLogs).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(
      `could not start the test cluster: ${message}${died && !message.includes(died) ? `\n${died}` : ''}\n` +
        `component logs kept in ${keptLogs}`,
      { cause: err },
    );
  }
}

/** Stops the processes named in a cluster.json and removes the data dir (for `cluster:down`). */
export async function stopFromState(state: ClusterState): Promise<void> {
  for (const names of STOP_STAGES) {
    const pids = names.flatMap((name) => {
      const c = state.components[name];
      return c && isAlive(c.pid) ? [c.pid] : [];
    });
    await Promise.all(pids.map((pid) => terminate(pid)));
  }
  await rm(state.dataDir, { recursive: true, force: true });
}
