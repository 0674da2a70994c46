// A real SeaweedFS for the object-storage tests: `weed server` (master, volume, filer and
// the S3 gateway with its embedded IAM API) as one process on loopback, its data in a temp
// dir, built by `e2e/cluster/build.sh --storage` and cached with the other binaries.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const clusterDir = fileURLToPath(new URL('../../../e2e/cluster/', import.meta.url));

/** Where build.sh caches `weed`: ${DANGUS_CACHE_DIR:-~/.cache/dangus}/k8s/<kubernetes version>/weed. */
export function weedBinary(): string {
  const kube = /^\s*k8s\.io\/kubernetes\s+(v\S+)/m.exec(readFileSync(join(clusterDir, 'go.mod'), 'utf8'))?.[1];
  if (!kube) throw new Error('no k8s.io/kubernetes version in e2e/cluster/go.mod');
  const root = process.env.DANGUS_CACHE_DIR || join(homedir(), '.cache', 'dangus');
  const path = join(root, 'k8s', kube, 'weed');
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`SeaweedFS's weed is not built (${path}): run \`bash e2e/cluster/build.sh --storage\` once (cached afterwards).`);
  }
  return path;
}

async function freePort(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, ip, () => {
      const address = server.address();
      server.close(() => { resolve(typeof address === 'object' && address ? address.port : 0); });
    });
  });
}

export interface SeaweedFs {
  /** The S3 API and, on the same port, the IAM API. */
  endpoint: string;
  admin: { accessKeyId: string; secretAccessKey: string };
  region: string;
  stop(): Promise<void>;
}

/**
 * Starts SeaweedFS and waits until its S3 gateway answers: on loopback, or on `ip` (the
 * real-node tests' node IP, which the pods they run reach).
 */
export async function startSeaweedFs(options: { ip?: string } = {}): Promise<SeaweedFs> {
  const ip = options.ip ?? '127.0.0.1';
  const binary = weedBinary();
  const dir = mkdtempSync(join(tmpdir(), 'dangus-weed-'));
  const admin = { accessKeyId: 'dangusadmin0000000000', secretAccessKey: 'dangus-admin-secret-0000000000000000000' };
  // The platform's admin: the one static identity, allowed everything (IAM included).
  writeFileSync(
    join(dir, 's3.json'),
    JSON.stringify({ identities: [{ name: 'dangus-admin', credentials: [{ accessKey: admin.accessKeyId, secretKey: admin.secretAccessKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }] }),
  );
  const ports: number[] = [];
  while (ports.length < 8) {
    const port = await freePort(ip);
    if (!ports.includes(port)) ports.push(port);
  }
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = ports as [number, number, number, number, number, number, number, number];
  const args = [
    'server', `-ip=${ip}`, `-ip.bind=${ip}`, `-dir=${join(dir, 'data')}`,
    `-master.port=${master}`, `-master.port.grpc=${masterGrpc}`, '-master.volumeSizeLimitMB=16',
    `-volume.port=${volume}`, `-volume.port.grpc=${volumeGrpc}`, '-volume.max=400',
    '-filer', `-filer.port=${filer}`, `-filer.port.grpc=${filerGrpc}`,
    '-s3', `-s3.port=${s3}`, `-s3.port.grpc=${s3Grpc}`, '-s3.port.iceberg=0', '-s3.port.lance=0',
    `-s3.config=${join(dir, 's3.json')}`, '-s3.iam.readOnly=false',
  ];
  mkdirSync(join(dir, 'data'));
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => { output = (output + chunk.toString('utf8')).slice(-20_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  const endpoint = `http://${ip}:${s3}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`weed server exited (${child.exitCode}):\n${output}`);
    }
    // An unsigned ListBuckets: 403 once the gateway is up with its identities loaded.
    const status = await fetch(`${endpoint}/`).then((r) => r.status, () => 0);
    if (status === 403) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`weed server did not answer on ${endpoint} within 60s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { endpoint, admin, region: 'us-east-1', stop };
}
