// Jest loads a global setup module with Node's own ESM loader, which does not map the
// harness's `./x.js` imports to `./x.ts` (moduleNameMapper applies to tests only).
// This shim loads the TypeScript implementation through tsx instead.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup(...args) {
  const mod = await tsImport('./src/jest-global-setup.ts', import.meta.url);
  return mod.default(...args);
}
