// Container images made on this machine, for a node that can pull nothing from the internet:
// a root filesystem staged from local files, packed as one layer into an OCI image layout
// archive that `ctr images import` takes. Deterministic: the same files give the same digest.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const run = promisify(execFile);
const gzipAsync = promisify(gzip);

/** One entry of the image's filesystem. Exactly one of `from`, `content`, `link` or `dir`. */
export type ImageEntry =
  | { path: string; from: string; mode?: number }
  | { path: string; content: string | Buffer; mode?: number }
  | { path: string; link: string }
  | { path: string; dir: true; mode?: number };

export interface ImageSpec {
  /** The reference the image is imported as, e.g. `registry.k8s.io/pause:3.10`. */
  name: string;
  entries: ImageEntry[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  /** The signal that stops the container (the image config's StopSignal), e.g. `SIGINT`. */
  stopSignal?: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Writes `spec` as an OCI image layout archive at `out`; returns the manifest digest. */
export async function writeImageArchive(spec: ImageSpec, out: string): Promise<string> {
  const work = await mkdtemp(join(dirname(out), '.image-'));
  try {
    const rootfs = join(work, 'rootfs');
    await mkdir(rootfs, { recursive: true });
    for (const entry of spec.entries) {
      const target = join(rootfs, entry.path);
      await mkdir(dirname(target), { recursive: true });
      if ('from' in entry) {
        await copyFile(entry.from, target);
        await run('chmod', [(entry.mode ?? 0o755).toString(8), target]);
      } else if ('content' in entry) {
        await writeFile(target, entry.content, { mode: entry.mode ?? 0o644 });
      } else if ('link' in entry) {
        await symlink(entry.link, target);
      } else {
        await mkdir(target, { recursive: true, mode: entry.mode ?? 0o755 });
      }
    }
    // One layer, owned by root, with fixed timestamps and order.
    const layerTar = join(work, 'layer.tar');
    await run('tar', [
      '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--format=posix',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '-C', rootfs, '-cf', layerTar, '.',
    ]);
    const layer = await readFile(layerTar);
    const layerGz = await gzipAsync(layer, { level: 1 });
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
        ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        Env: spec.env ?? ['PATH=/usr/local/bin:/usr/bin:/bin'],
        ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
        ...(spec.stopSignal ? { StopSignal: spec.stopSignal } : {}),
      },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] },
    }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256(config)}`, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha256(layerGz)}`, size: layerGz.length }],
    }));
    const digest = `sha256:${sha256(manifest)}`;
    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    for (const blob of [config, layerGz, manifest]) await writeFile(join(blobs, sha256(blob)), blob);
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        size: manifest.length,
        annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': spec.name.split(':').pop() },
      }],
    }));
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', layout, '-cf', out, '.']);
    return digest;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The shared libraries `binaries` load (their `ldd` closure, the loader included), as image
 * entries at the paths the binaries look for them: for dynamically linked host tools.
 */
export async function sharedLibraryEntries(binaries: string[]): Promise<ImageEntry[]> {
  const paths = new Set<string>();
  for (const binary of binaries) {
    const { stdout } = await run('ldd', [binary]);
    for (const line of stdout.split('\n')) {
      const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
      if (match?.[1]) paths.add(match[1]);
    }
  }
  return [...paths].sort().map((path) => ({ path, from: path }));
}
