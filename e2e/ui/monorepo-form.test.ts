// The new-service form for a monorepo (issue 37), in Chromium against the real api signed in
// through the fake GitHub: "Find Dockerfiles" lists the Dockerfiles of the branch's head
// (Git trees API, answered by git from a real repository), choosing one fills in the build
// context and watch paths, the preview lists the files they select, and the service is
// created with them.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import type { ServiceDto } from '@dangus/common';
import { createServer, type AddressInfo } from 'node:net';
import { startTestPlatform, type TestPlatform } from '@dangus/api/test-support/platform';
import { DEFAULT_UI_DIR, listen } from '@dangus/api/server';
import { expectAttribute, expectVisible, openBrowser, screenshot, textOf } from './browser.js';

const run = promisify(execFile);

describe('the new-service form for a monorepo', () => {
  let t: TestPlatform;
  let dir: string;
  /** The origin the browser uses, which is the platform's PUBLIC_URL (state-changing requests are checked against it). */
  let origin: string;
  let port: number;

  beforeAll(async () => {
    port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    origin = `http://127.0.0.1:${String(port)}`;
    t = await startTestPlatform({ PUBLIC_URL: origin }, { uiDir: DEFAULT_UI_DIR });
    dir = await mkdtemp(join(tmpdir(), 'dangus-mono-ui-'));
    await run('git', ['init', '--quiet', '--initial-branch=main', dir]);
    const files: Record<string, string> = {
      'apps/web/Dockerfile': 'FROM scratch',
      'apps/web/src/index.ts': 'web',
      'apps/web/README.md': 'web docs',
      'apps/api/docker/Dockerfile': 'FROM scratch',
      'apps/api/main.go': 'api',
      'package-lock.json': '{}',
      'README.md': 'mono',
    };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    await run('git', ['-C', dir, 'add', '-A']);
    await run('git', ['-C', dir, '-c', 'user.name=Octo', '-c', 'user.email=octo@example.test', 'commit', '--quiet', '-m', 'mono']);
    const head = (await run('git', ['-C', dir, 'rev-parse', 'HEAD'])).stdout.trim();
    t.github.gitRepos.set('octocat/mono', join(dir, '.git'));
    t.github.branches.set('octocat/mono#main', { sha: head, message: 'mono' });
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('suggests the context and watch paths of a Dockerfile found, previews the files they match, and creates the service with them', async () => {
    const cookie = await t.signIn('octocat', 4242);
    const project = (await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: origin }).send({ name: 'mono' }).expect(201)).body as { id: string };
    const server = await listen(t.app, '127.0.0.1', port);
    const { browser, page, pageErrors } = await openBrowser();
    try {
      const [name = '', ...value] = cookie.split(';')[0]?.split('=') ?? [];
      await page.context().addCookies([{ name, value: value.join('='), url: origin }]);
      await page.goto(`${origin}/projects/${project.id}/services/new`);

      await page.getByLabel('Service name').fill('web');
      await page.getByLabel('GitHub repository URL').fill('https://github.com/octocat/mono');
      await page.getByLabel('Container port').fill('8080');
      await page.getByRole('button', { name: 'Find Dockerfiles' }).click();
      const found = page.getByRole('list', { name: 'Dockerfiles found' });
      await expectVisible(found.getByText('apps/web/Dockerfile'));
      expect(await textOf(found)).toContain('apps/api/docker/Dockerfile');
      await found.getByRole('listitem').filter({ hasText: 'apps/web/Dockerfile' }).getByRole('button', { name: 'Use this one' }).click();
      expect(await page.getByLabel('Build context').inputValue()).toBe('apps/web');
      expect(await page.getByLabel('Dockerfile path').inputValue()).toBe('Dockerfile');
      const watch = page.getByRole('textbox', { name: 'Watch paths' });
      expect(await watch.inputValue()).toBe('apps/web/**\npackage-lock.json');
      await watch.fill('apps/web/**\n!**/*.md\npackage-lock.json');

      await page.getByRole('button', { name: 'Preview matching files' }).click();
      const preview = page.getByRole('status', { name: 'Matching files' });
      await expectVisible(preview);
      const shown = await textOf(preview);
      expect(shown).toMatch(/^3 of 7 files on main at [0-9a-f]{7} match\./);
      expect(shown).toContain('apps/web/Dockerfile');
      expect(shown).toContain('apps/web/src/index.ts');
      expect(shown).toContain('package-lock.json');
      expect(shown).not.toContain('README.md');
      await screenshot(page, 'new-service-monorepo');

      // A pattern that leaves the repository is refused under its field, before any request.
      await watch.fill('apps/web/**\n../secrets/**');
      await expectAttribute(watch, 'aria-invalid', 'true');
      await expectVisible(page.getByText('Patterns are relative to the repository root: ".." is not allowed.'));
      await watch.fill('apps/web/**, package-lock.json\n!**/*.md');

      await page.getByRole('button', { name: 'Create service' }).click();
      await page.waitForURL(/\/services\/[0-9a-f-]{36}$/);
      const id = page.url().split('/').at(-1) ?? '';
      const service = (await request(t.app).get(`/api/services/${id}`).set({ Cookie: cookie }).expect(200)).body as ServiceDto;
      expect({ contextDir: service.contextDir, dockerfilePath: service.dockerfilePath, watchPaths: service.watchPaths }).toEqual({
        contextDir: 'apps/web',
        dockerfilePath: 'Dockerfile',
        watchPaths: ['apps/web/**', 'package-lock.json', '!**/*.md'],
      });
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
