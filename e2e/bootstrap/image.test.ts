// api/Dockerfile cannot be built here (no Docker engine); what can rot silently when a
// workspace is added or moved is checked instead: the image installs every workspace,
// builds every one that tsconfig.build.json builds, and its runtime stage holds each
// program the manifests run together with every workspace that program imports.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from '@jest/globals';

import { render, repoRoot } from './kustomize.js';

interface PackageJson { name: string; workspaces?: string[]; dependencies?: Record<string, string> }

let dockerfile = '';
let workspaces: string[] = [];
/** package name (@dangus/…) → workspace folder. */
const folderOf = new Map<string, string>();
const packages = new Map<string, PackageJson>();

const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(join(repoRoot, file), 'utf8')) as T;

beforeAll(async () => {
  dockerfile = await readFile(join(repoRoot, 'api/Dockerfile'), 'utf8');
  workspaces = (await readJson<PackageJson>('package.json')).workspaces ?? [];
  for (const folder of workspaces) {
    const pkg = await readJson<PackageJson>(`${folder}/package.json`);
    packages.set(folder, pkg);
    folderOf.set(pkg.name, folder);
  }
});

/** The lines of one stage (`FROM … AS name` up to the next FROM). */
function stage(name: string): string[] {
  const lines = dockerfile.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^FROM .* AS ${name}$`).test(l));
  if (start < 0) throw new Error(`no stage ${name} in api/Dockerfile`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('FROM '));
  return lines.slice(start, end < 0 ? undefined : end);
}

/** The workspace folders a workspace needs at run time, itself included (dependencies, transitively). */
function runtimeClosure(folder: string, seen = new Set<string>()): Set<string> {
  if (seen.has(folder)) return seen;
  seen.add(folder);
  for (const dependency of Object.keys(packages.get(folder)?.dependencies ?? {})) {
    const next = folderOf.get(dependency);
    if (next !== undefined) runtimeClosure(next, seen);
  }
  return seen;
}

describe('api/Dockerfile', () => {
  it('installs the dependencies of every workspace of package.json', () => {
    expect(workspaces).toEqual(expect.arrayContaining(['common', 'gitops-writer', 'applier', 'api', 'ui']));
    const deps = stage('deps');
    for (const folder of workspaces) expect(deps).toContain(`COPY ${folder}/package.json ${folder}/`);
  });

  it('copies in the sources of every workspace that tsconfig.build.json builds', async () => {
    const built = (await readJson<{ references: { path: string }[] }>('tsconfig.build.json')).references.map((r) => r.path.split('/')[0] ?? '');
    expect(built).toEqual(expect.arrayContaining(['applier', 'api']));
    const build = stage('build');
    for (const folder of built) expect(build).toContain(`COPY ${folder} ${folder}`);
  });

  it('holds, at run time, each program the manifests run and every workspace it imports', async () => {
    const objects = await render('bootstrap/overlays/prod');
    const commands = objects
      .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
      .flatMap((o) => (o.spec as { template: { spec: { containers: { image: string; command?: string[] }[] } } }).template.spec.containers)
      // The platform's image, whatever registry and tag the overlay gives it.
      .filter((c) => c.image.split('/').pop()?.split(':')[0] === 'dangus-api')
      .map((c) => c.command ?? ['node', 'api/dist/main.js']);
    expect(commands).toEqual(expect.arrayContaining([['node', 'api/dist/main.js'], ['node', 'applier/dist/main.js']]));
    const runtime = stage('runtime');
    for (const [node, entry = ''] of commands) {
      expect(node).toBe('node');
      const match = /^([\w-]+)\/dist\/(.+)\.js$/.exec(entry);
      expect(match).not.toBeNull();
      const [, folder = '', file = ''] = match ?? [];
      // The entry is what `tsc -b` emits for a source of that workspace.
      expect(existsSync(join(repoRoot, folder, 'src', `${file}.ts`))).toBe(true);
      for (const needed of runtimeClosure(folder)) {
        expect(runtime).toContain(`COPY --from=build /app/${needed}/package.json ${needed}/`);
        expect(runtime).toContain(`COPY --from=build /app/${needed}/dist ${needed}/dist`);
      }
    }
  });
});
