/**
 * Issue 7's benchmark: the production bundle's gzipped size (the initial bundle, which
 * the first page waits for, and every chunk), and the time from
 * navigation to the dashboard showing 100 projects in headless Chromium,
 * against the real api (embedded PostgreSQL) as `npm start` runs it.
 * Run after `npm run build` (npm run bench does).
 */
import { chromium } from 'playwright-core';
import { startApiProcess } from '../support/api-process.js';
import { bundleSizes } from '../support/ui-bundle.js';

const RUNS = 5;

async function main(): Promise<void> {
  const sizes = await bundleSizes();
  // 100 projects: more than the default limit per user.
  const api = await startApiProcess({ MAX_PROJECTS_PER_USER: '0' });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const signIn = await fetch(`${api.origin}/auth/local`, { method: 'POST', headers: { Origin: api.origin } });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    for (let i = 0; i < 100; i += 1) {
      const res = await fetch(`${api.origin}/api/projects`, {
        method: 'POST',
        headers: { Origin: api.origin, Cookie: cookie, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `project-${String(i).padStart(3, '0')}` }),
      });
      if (res.status !== 201) throw new Error(`creating project ${i}: ${res.status}`);
    }
    const [name, value] = cookie.split('=');
    const times: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const context = await browser.newContext();
      await context.addCookies([{ name: name ?? '', value: value ?? '', url: api.origin }]);
      const page = await context.newPage();
      const start = performance.now();
      await page.goto(`${api.origin}/`);
      await page.getByRole('list', { name: 'Projects' }).getByRole('listitem').nth(99).waitFor({ timeout: 60_000 });
      times.push(performance.now() - start);
      await context.close();
    }
    times.sort((a, b) => a - b);
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    process.stdout.write(
      [
        '',
        '| figure | value | target |',
        '| --- | ---: | ---: |',
        `| UI initial JavaScript (index.html's script and preloads), gzipped | ${kb(sizes.initialJs)} | ≤ 200 KB |`,
        `| UI JavaScript, every chunk (the rest loads on demand), gzipped | ${kb(sizes.totalJs)} | report |`,
        `| UI CSS (initial), gzipped | ${kb(sizes.initialCss)} | |`,
        `| navigation → 100 projects shown, min / median / max of ${RUNS} (cold context each) | ${times[0]?.toFixed(0) ?? '?'} / ${times[Math.floor(RUNS / 2)]?.toFixed(0) ?? '?'} / ${times[RUNS - 1]?.toFixed(0) ?? '?'} ms | report |`,
        '',
      ].join('\n'),
    );
  } finally {
    await browser.close();
    await api.stop();
  }
}

await main();
