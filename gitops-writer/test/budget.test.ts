/**
 * @jest-environment ./test/support/budget-environment.ts
 *
 * The writer's tests drive real git and `kubectl kustomize` on a loaded machine: they
 * need more than jest's default 5 s. A project config's `testTimeout` is ignored when
 * jest runs every workspace (`npm test`), so this reads the timeout jest really runs a
 * test with; run it as `npm test` does, through the root config.
 */
import { BUDGET_GLOBAL } from './support/budget-environment.js';

it('runs each test with at least a minute, also under the multi-project run', () => {
  const timeout = (globalThis as Record<string, unknown>)[BUDGET_GLOBAL];
  expect(typeof timeout).toBe('number');
  expect(timeout).toBeGreaterThanOrEqual(60_000);
});
