// Stops `npm start` and `npm test` with one clear line on a Node.js older than the
// supported one (package.json "engines"), instead of a failure somewhere later.
// Written for any Node.js still able to parse an ES module: no newer syntax here.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const wanted = String(pkg.engines.node); // ">=24.11"
const match = /^>=(\d+)\.(\d+)/.exec(wanted);
const [major, minor] = process.versions.node.split('.').map(Number);
if (match && (major < Number(match[1]) || (major === Number(match[1]) && minor < Number(match[2])))) {
  process.stderr.write(
    `Dangus Cloud needs Node.js ${wanted} (this is ${process.version}): install Node.js 24 LTS (the version in .nvmrc), e.g. \`nvm install\`, then run this again.\n`,
  );
  process.exit(1);
}
