// The Tiltfile cannot run here (no Tilt, no Docker engine); what can rot silently
// is checked instead: every path it names exists, and every object it names is
// rendered by the dev overlay.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from '@jest/globals';

import { render, repoRoot } from './kustomize.js';

let tiltfile = '';

beforeAll(async () => {
  tiltfile = await readFile(join(repoRoot, 'Tiltfile'), 'utf8');
});

/** Every quoted string that reads as a relative path: has a '/' or a file extension, no ':', no spaces, not absolute. */
function relativePaths(source: string): string[] {
  const code = source.split('\n').filter((line) => !line.trimStart().startsWith('#')).join('\n');
  const quoted = [...code.matchAll(/'([^'\n]*)'|"([^"\n]*)"/g)].map((m) => m[1] ?? m[2] ?? '');
  return quoted.filter((s) => s === '.' || (/^[\w.-]+(\/[\w.-]+)*$/.test(s) && (s.includes('/') || /\.(json|yaml|yml|ts|tsx|js)$/.test(s)) && !s.startsWith('/')));
}

describe('Tiltfile', () => {
  it('names the Dockerfile, the dev overlay and the synced sources', () => {
    const paths = relativePaths(tiltfile);
    for (const expected of ['api/Dockerfile', 'bootstrap/overlays/dev', 'api/src', 'common/src', 'gitops-writer/src', 'applier/src', 'ui/src', 'package.json']) {
      expect(paths).toContain(expected);
    }
  });

  it('names only paths that exist in the repository', () => {
    const missing = relativePaths(tiltfile).filter((p) => !existsSync(join(repoRoot, p)));
    expect(missing).toEqual([]);
  });

  it('syncs each local path to the same path under /app, where api/Dockerfile puts the sources', () => {
    const syncs = [...tiltfile.matchAll(/sync\('([^']+)', '([^']+)'\)/g)];
    expect(syncs.length).toBeGreaterThan(4);
    for (const [, local, remote] of syncs) expect(remote).toBe(`/app/${String(local)}`);
  });

  it('names, in k8s_resource, only workloads and objects that the dev overlay renders', async () => {
    const objects = await render('bootstrap/overlays/dev');
    const rendered = new Set(objects.map((o) => `${o.metadata.name}:${o.kind.toLowerCase()}`));
    const workloads = new Set(objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind)).map((o) => o.metadata.name));
    const resources = [...tiltfile.matchAll(/k8s_resource\(\s*'([^']+)'/g)].map((m) => m[1] ?? '');
    expect(resources.length).toBeGreaterThan(0);
    for (const name of resources) expect(workloads).toContain(name);
    const selectors = [...tiltfile.matchAll(/'([a-z0-9-]+:[a-z]+)'/g)].map((m) => m[1] ?? '');
    expect(selectors.length).toBeGreaterThan(0);
    for (const selector of selectors) expect(rendered).toContain(selector);
  });

  it('builds the image name that the manifests use', async () => {
    const image = /docker_build\(\s*'([^']+)'/.exec(tiltfile)?.[1];
    const objects = await render('bootstrap/overlays/dev');
    expect(JSON.stringify(objects)).toContain(`"image":"${String(image)}"`);
  });
});
