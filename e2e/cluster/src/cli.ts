// npm run cluster:up | cluster:down | cluster:status (e2e/package.json)
//
//   up [--real-node]
//           starts a cluster in the background (a detached supervisor process owns it),
//           waits until it is ready and prints its kubeconfig path on stdout (the only
//           stdout line, so `export KUBECONFIG=$(npm run -s cluster:up)` works).
//           Progress (and a first-time build) goes to stderr. With --real-node (as root) it
//           joins a real node instead of kwok ones (real-node.ts): kubelet, containerd,
//           a registry and Traefik; `status` shows their addresses.
//   down    stops it and removes its data.
//   status  prints the state file.
//
// State: ${DANGUS_CACHE_DIR:-~/.cache/dangus}/cluster-up.json (pids, ports, paths);
// supervisor log: ${DANGUS_CACHE_DIR:-~/.cache/dangus}/cluster-up.log.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { startCluster, stopFromState } from './cluster.js';
import type { ClusterState } from './cluster.js';
import { isAlive, terminate } from './util.js';

interface UpState extends Partial<ClusterState> {
  supervisorPid: number;
  realNode?: { name: string; ip: string; registry: string; ingress: string; containerd: string };
  startedAt: string;
  error?: string;
}

const cacheRoot = process.env.DANGUS_CACHE_DIR || join(homedir(), '.cache', 'dangus');
const stateFile = join(cacheRoot, 'cluster-up.json');
const logFile = join(cacheRoot, 'cluster-up.log');

function readState(): UpState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as UpState;
  } catch {
    return undefined;
  }
}

async function writeState(state: UpState): Promise<void> {
  await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Runs in the detached supervisor: owns the cluster until SIGTERM/SIGINT. */
async function serve(): Promise<void> {
  const base: UpState = { supervisorPid: process.pid, startedAt: new Date().toISOString() };
  await writeState(base);
  const log = (line: string) => process.stdout.write(`[dangus-cluster] ${line}\n`);
  let cluster;
  try {
    const realNode = process.argv.includes('--real-node');
    cluster = await startCluster({
      log,
      realNode,
      nodes: realNode ? 0 : Number(process.env.DANGUS_E2E_NODES ?? '1') || 1,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(message);
    await writeState({ ...base, error: message });
    process.exit(1);
  }
  const { kubeconfigPath, dataDir, server, version, nodes, components } = cluster;
  const node = cluster.realNode;
  await writeState({
    ...base, kubeconfigPath, dataDir, server, version, nodes, components, ownerPid: process.pid,
    ...(node ? { realNode: { name: node.name, ip: node.ip, registry: node.registryHost, ingress: node.ingressUrl, containerd: node.containerdAddress } } : {}),
  });
  const stop = () => cluster.stop();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    stop()
      .then(() => rm(stateFile, { force: true }))
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
}

async function up(): Promise<void> {
  const existing = readState();
  if (existing && isAlive(existing.supervisorPid)) {
    if (existing.kubeconfigPath) {
      process.stderr.write(`a cluster is already up (supervisor pid ${existing.supervisorPid})\n`);
      process.stdout.write(`${existing.kubeconfigPath}\n`);
      return;
    }
    throw new Error(`a cluster is starting (supervisor pid ${existing.supervisorPid}); see ${logFile}`);
  }
  await mkdir(cacheRoot, { recursive: true });
  await rm(stateFile, { force: true });
  const fd = openSync(logFile, 'w');
  // Re-run this file under the same node flags (tsx's loader) as the detached supervisor.
  const args = [...process.execArgv, fileURLToPath(import.meta.url), 'serve', ...process.argv.slice(3)];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: process.env,
  });
  closeSync(fd);
  const pid = child.pid;
  child.unref();
  if (pid === undefined) throw new Error('could not start the supervisor process');
  process.stderr.write(`[dangus-cluster] supervisor pid ${pid}, log ${logFile}\n`);

  // Relay the supervisor's log while waiting (a first run includes the build: can take long).
  let shown = 0;
  const relay = () => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    if (text.length > shown) {
      process.stderr.write(text.slice(shown));
      shown = text.length;
    }
  };
  for (;;) {
    relay();
    const state = readState();
    if (state?.supervisorPid === pid && state.kubeconfigPath) {
      process.stdout.write(`${state.kubeconfigPath}\n`);
      return;
    }
    if (state?.supervisorPid === pid && state.error) throw new Error('the cluster did not start (see above)');
    if (!isAlive(pid)) {
      relay();
      throw new Error(`the supervisor exited before the cluster was ready; see ${logFile}`);
    }
    await sleep(500);
  }
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    process.stderr.write('no cluster is up\n');
    return;
  }
  if (isAlive(state.supervisorPid)) {
    // The supervisor stops the components and removes the data and the state file.
    await terminate(state.supervisorPid, 60_000);
  }
  // If it had died (or was killed), clean up after it.
  if (state.components && state.dataDir) await stopFromState(state as ClusterState);
  await rm(stateFile, { force: true });
  process.stderr.write('cluster stopped and its data removed\n');
}

function status(): void {
  const state = readState();
  if (!state) {
    process.stderr.write('no cluster is up\n');
    process.exitCode = 1;
    return;
  }
  const alive = isAlive(state.supervisorPid);
  process.stdout.write(`${JSON.stringify({ ...state, supervisorAlive: alive }, null, 2)}\n`);
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void> | void> = { up, down, status, serve };
const run = command ? commands[command] : undefined;
if (!run) {
  process.stderr.write('usage: cli.ts up [--real-node] | down | status\n');
  process.exit(2);
}
try {
  await run();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
