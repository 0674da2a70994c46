/**
 * The build Job's source fetch for a monorepo, run for real: the `fetch-source` script as
 * rendered (the one the init container runs) checks out a real repository with git, only
 * the build context's folder (a sparse checkout), and fails with the reason when the context
 * is not a folder of the commit or leaves the checkout through a symlink. Only the paths are
 * moved: `/workspace` and the token's file into a temporary folder, the source a local
 * repository instead of GitHub (no token: the script's anonymous fetch).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { V1Job } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { render } from '../src/render/render.js';
import { SHA_B, fullTenant, input, loadTemplates } from './support/fixtures.js';

const run = promisify(execFile);

/** The fetch script and Kaniko's arguments, rendered for a service built from `contextDir`. */
async function renderedBuild(contextDir: string): Promise<{ script: string; kanikoArgs: string[]; env: Record<string, string> }> {
  const tenant = fullTenant(1, 'ab12cd', 'shop');
  const web = tenant.services[0];
  if (!web) throw new Error('no service');
  web.contextDir = contextDir;
  const files = render(input([tenant]), await loadTemplates());
  const job = (loadAll(files.get(`tenants/ab12cd-shop/web/build-${SHA_B.slice(0, 7)}.yaml`) ?? '') as V1Job[]).find((doc) => doc.kind === 'Job');
  const spec = job?.spec?.template.spec;
  const fetch = spec?.initContainers?.find((c) => c.name === 'fetch-source');
  const kaniko = spec?.containers.find((c) => c.name === 'kaniko');
  if (!fetch?.args?.[0] || !kaniko?.args) throw new Error('no build Job rendered');
  return {
    script: fetch.args[0],
    kanikoArgs: kaniko.args,
    env: Object.fromEntries((kaniko.env ?? []).map((e) => [e.name, e.value ?? ''])),
  };
}

async function filesUnder(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isDirectory()) found.push(relative(root, join(entry.parentPath, entry.name)));
  }
  return found.sort();
}

describe('the build fetches only its context folder, and refuses a context that is not one', () => {
  let dir: string;
  let source: string;
  let sha: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-fetch-'));
    source = join(dir, 'source');
    await run('git', ['init', '--quiet', '--initial-branch=main', source]);
    const files: Record<string, string> = {
      'apps/web/Dockerfile': 'FROM scratch',
      'apps/web/src/index.js': 'web',
      'apps/api/Dockerfile': 'FROM scratch',
      'package-lock.json': '{}',
    };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(source, path)), { recursive: true });
      await writeFile(join(source, path), content);
    }
    await symlink('/etc', join(source, 'apps', 'escape'));
    await run('git', ['-C', source, 'add', '-A']);
    await run('git', ['-C', source, '-c', 'user.name=Octo', '-c', 'user.email=octo@example.test', 'commit', '--quiet', '-m', 'mono']);
    sha = (await run('git', ['-C', source, 'rev-parse', 'HEAD'])).stdout.trim();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the rendered fetch script for `contextDir`; its exit code, its stderr and the files it left. */
  async function fetchFor(contextDir: string): Promise<{ code: number; stderr: string; files: string[] }> {
    const { script } = await renderedBuild(contextDir);
    const workspace = await mkdtemp(join(dir, 'workspace-'));
    const token = join(workspace, '..', `${String(Date.now())}-token`);
    await writeFile(token, '');
    const moved = script.replaceAll('/var/run/dangus/git/token', token).replaceAll('/workspace', workspace);
    try {
      const { stderr } = await run('/bin/sh', ['-ec', moved], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workspace, DANGUS_SOURCE_URL: source, DANGUS_COMMIT_SHA: sha, DANGUS_CONTEXT_DIR: contextDir },
      });
      return { code: 0, stderr, files: await filesUnder(workspace) };
    } catch (error) {
      const failed = error as { code?: number; stderr?: string };
      return { code: failed.code ?? -1, stderr: failed.stderr ?? '', files: await filesUnder(workspace) };
    }
  }

  it('checks out only the context folder, and Kaniko builds it with the Dockerfile path relative to it', async () => {
    const fetched = await fetchFor('apps/web');
    expect(fetched).toEqual({ code: 0, stderr: '', files: ['apps/web/Dockerfile', 'apps/web/src/index.js'] });
    const { kanikoArgs, env } = await renderedBuild('apps/web');
    expect(kanikoArgs).toEqual(expect.arrayContaining(['--context=dir:///workspace', '--context-sub-path=$(DANGUS_CONTEXT_DIR)', '--dockerfile=/workspace/$(DANGUS_CONTEXT_DIR)/$(DANGUS_DOCKERFILE)']));
    expect(env).toMatchObject({ DANGUS_CONTEXT_DIR: 'apps/web', DANGUS_DOCKERFILE: 'Dockerfile' });
  });

  it('checks out the whole commit for the root', async () => {
    const fetched = await fetchFor('.');
    expect(fetched.code).toBe(0);
    expect(fetched.files).toEqual(['apps/api/Dockerfile', 'apps/escape', 'apps/web/Dockerfile', 'apps/web/src/index.js', 'package-lock.json']);
  });

  it.each(['apps/missing', 'package-lock.json', 'apps/escape'])('fails the build, saying why, for the context %j', async (contextDir) => {
    const fetched = await fetchFor(contextDir);
    expect(fetched.code).toBe(1);
    expect(fetched.stderr).toBe(`the build context "${contextDir}" is not a folder of ${sha}\n`);
  });
});
