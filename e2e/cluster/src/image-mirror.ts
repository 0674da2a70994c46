// A local registry that stands in for Docker Hub: distribution's registry on the node IP,
// plain HTTP, anonymous pulls (as Docker Hub's official images are), holding only images made
// on this machine. The node's containerd takes it as docker.io's only host (a `hosts.toml`
// whose `server` is the mirror itself, so a missing image fails instead of reaching out), and
// Kaniko as its `--registry-mirror` (with `--skip-default-registry-fallback`). Nothing is pulled
// from the internet: a `FROM node:…` resolves here or fails.
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { binaryCacheDir } from './binaries.js';
import { freePort, httpGet, pollUntil, terminate } from './util.js';

const run = promisify(execFile);

export interface ImageMirror {
  /** host:port on the node IP: Kaniko's `--registry-mirror`, containerd's docker.io host. */
  host: string;
  /** Pushes an OCI layout archive (oci-image.ts) as `repository:tag`; returns the manifest digest. */
  push(archive: string, repository: string, tag: string): Promise<string>;
  stop(): Promise<void>;
}


/**
 * Starts the mirror on `nodeIp` with its data under `dataDir`, and makes it docker.io for the
 * node's containerd (`certsDir`: the `config_path` of its CRI registry config). Stop it
 * before the node: `stop()` also removes the hosts.toml.
 */
export async function startImageMirror(opts: { nodeIp: string; dataDir: string; certsDir: string }): Promise<ImageMirror> {
  const root = join(opts.dataDir, 'image-mirror');
  await mkdir(join(root, 'data'), { recursive: true });
  const host = `${opts.nodeIp}:${String(await freePort(opts.nodeIp))}`;
  const config = join(root, 'config.yml');
  await writeFile(config, `${JSON.stringify({
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(root, 'data') } },
    http: { addr: host, debug: { addr: '', prometheus: { enabled: false } } },
  })}\n`);
  const fd = openSync(join(root, 'registry.log'), 'a');
  const child = spawn(join(binaryCacheDir(), 'registry'), ['serve', config], {
    stdio: ['ignore', fd, fd], env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' },
  });
  closeSync(fd);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `the image mirror exited (${signal ?? `code ${String(code)}`}); see ${root}/registry.log`));
  const hostsDir = join(opts.certsDir, 'docker.io');
  const stop = async () => {
    await rm(hostsDir, { recursive: true, force: true });
    if (child.pid !== undefined && exited === undefined) await terminate(child.pid, 10_000);
  };
  try {
    await pollUntil(async () => (await httpGet(`http://${host}/v2/`)).status === 200, {
      what: 'the image mirror to answer', timeoutMs: 30_000, abort: () => exited,
    });
    await mkdir(hostsDir, { recursive: true });
    await writeFile(join(hostsDir, 'hosts.toml'), [
      `server = "http://${host}"`,
      `[host."http://${host}"]`,
      '  capabilities = ["pull", "resolve"]',
      '',
    ].join('\n'));
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, push: (archive, repository, tag) => pushArchive(host, archive, repository, tag), stop };
}

interface Descriptor { mediaType: string; digest: string; size: number }

/** The registry API's push: each blob (unless there), then the manifest under `tag`. */
async function pushArchive(host: string, archive: string, repository: string, tag: string): Promise<string> {
  const layout = await mkdtemp(join(dirname(archive), '.push-'));
  try {
    await run('tar', ['-xf', archive, '-C', layout]);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    const top = index.manifests[0];
    if (!top) throw new Error(`${archive} holds no manifest`);
    const blob = (digest: string) => readFile(join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
    const manifest = await blob(top.digest);
    const { config, layers } = JSON.parse(manifest.toString()) as { config: Descriptor; layers: Descriptor[] };
    const base = `http://${host}/v2/${repository}`;
    for (const { digest } of [config, ...layers]) {
      if ((await fetch(`${base}/blobs/${digest}`, { method: 'HEAD' })).status === 200) continue;
      const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
      const location = start.headers.get('location');
      if (start.status !== 202 || !location) throw new Error(`blob upload to ${base} refused: ${String(start.status)}`);
      const url = new URL(location, `http://${host}`);
      url.searchParams.set('digest', digest);
      const put = await fetch(url, { method: 'PUT', body: await blob(digest), headers: { 'Content-Type': 'application/octet-stream' } });
      if (put.status !== 201) throw new Error(`blob ${digest} not stored: ${String(put.status)} ${await put.text()}`);
    }
    const put = await fetch(`${base}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': top.mediaType } });
    if (put.status !== 201) throw new Error(`manifest ${repository}:${tag} not stored: ${String(put.status)} ${await put.text()}`);
    return top.digest;
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
}

