// Jest loads a global teardown module with Node's own ESM loader, which does not map the
// harness's `./x.js` imports to `./x.ts` (moduleNameMapper applies to tests only).
// This shim loads the TypeScript implementation through tsx instead.
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown(...args) {
  const mod = await tsImport('./src/jest-global-teardown.ts', import.meta.url);
  return mod.default(...args);
}
