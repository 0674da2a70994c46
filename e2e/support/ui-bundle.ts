/**
 * The UI bundle's gzipped sizes (level 9), read from `ui/dist` as built: the initial
 * bundle is what `index.html` loads before the first page shows (its module script, the
 * chunks it preloads, its stylesheet); the rest loads on demand (admin pages, the
 * service page, its charts and diffs).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const UI_DIST = fileURLToPath(new URL('../../ui/dist/', import.meta.url));

/** The budget of the initial JavaScript, gzipped (issue 7, held by e2e/repo/ui-bundle.test.ts). */
export const INITIAL_JS_BUDGET = 200 * 1024;

export interface BundleSizes {
  /** The JavaScript index.html loads at once (module script and modulepreloads), gzipped. */
  initialJs: number;
  /** Its stylesheets, gzipped. */
  initialCss: number;
  /** Every JavaScript chunk, gzipped. */
  totalJs: number;
  /** The files of the initial bundle, for messages. */
  initialFiles: string[];
}

const gzipped = async (file: string) => gzipSync(await readFile(join(UI_DIST, file)), { level: 9 }).length;

export async function bundleSizes(): Promise<BundleSizes> {
  const html = await readFile(join(UI_DIST, 'index.html'), 'utf8');
  const assets = (pattern: RegExp) => [...html.matchAll(pattern)].map((m) => (m[1] ?? '').replace(/^\//, ''));
  const js = [...assets(/<script[^>]*type="module"[^>]*src="([^"]+)"/g), ...assets(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)];
  const css = assets(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g);
  if (js.length === 0) throw new Error(`no module script in ${join(UI_DIST, 'index.html')}: build the UI first (npm run build -w ui)`);
  let initialJs = 0;
  for (const file of js) initialJs += await gzipped(file);
  let initialCss = 0;
  for (const file of css) initialCss += await gzipped(file);
  let totalJs = 0;
  for (const file of await readdir(join(UI_DIST, 'assets'))) if (file.endsWith('.js')) totalJs += await gzipped(join('assets', file));
  return { initialJs, initialCss, totalJs, initialFiles: [...js, ...css] };
}
