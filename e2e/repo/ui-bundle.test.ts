// The first page stays light: the JavaScript the UI loads before its first page shows
// holds its budget (`npm test` builds the UI before jest; `npm run bench` prints the figure).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { INITIAL_JS_BUDGET, UI_DIST, bundleSizes } from '../support/ui-bundle.js';

describe('the UI bundle', () => {
  it('loads at most 200 KB of gzipped JavaScript before the first page, the rest on demand', async () => {
    const sizes = await bundleSizes();
    expect(sizes.initialJs).toBeLessThanOrEqual(INITIAL_JS_BUDGET);
    // The charts, the diffs and the admin pages are chunks of their own, not in the initial bundle.
    expect(sizes.totalJs - sizes.initialJs).toBeGreaterThan(40 * 1024);
    const chunks = await readdir(join(UI_DIST, 'assets'));
    for (const lazy of ['metrics-panel', 'infra-history-panel', 'system', 'users', 'service', 'deployment']) {
      const chunk = chunks.find((file) => file.startsWith(`${lazy}-`) && file.endsWith('.js'));
      expect(chunk).toBeDefined();
      expect(sizes.initialFiles).not.toContain(`assets/${chunk ?? ''}`);
    }
  });
});
