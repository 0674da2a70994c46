// `node --import tsx --import ./record-modules.ts main.ts` with DANGUS_RECORD_MODULES=<file>:
// every module the process resolves (static import, import() or require) is appended to
// <file>, one URL a line. api/test/api-role-modules.test.ts reads the file.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.DANGUS_RECORD_MODULES;
if (!file) throw new Error('record-modules.ts: set DANGUS_RECORD_MODULES to the file to write');
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    appendFileSync(file, `${resolved.url}\n`);
    return resolved;
  },
});
