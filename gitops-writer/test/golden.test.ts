/**
 * Golden rendering tests (docs/architecture.md#code-conventions): `testdata/<case>/input/input.json` (and
 * optional `input/templates/*.yaml` overriding the repository's templates) render
 * to exactly the files of `testdata/<case>/expected/`. With `input/previous.json`
 * the paths that leave the repo are compared with `removed.txt`.
 * Run with `UPDATE_GOLDEN=1` to rewrite the expected files after an intended change.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { render } from '../src/render/render.js';
import type { RenderInput } from '../src/render/types.js';
import { readTree, writeTree } from './support/files.js';
import { TESTDATA, loadTemplates, readJson } from './support/fixtures.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(TESTDATA).sort();

describe('golden renders', () => {
  it('has the cases the issue asks for', () => {
    expect(cases).toEqual(
      expect.arrayContaining([
        'minimal-service',
        'storage-and-health-check',
        'several-services',
        'deletion',
        'operator-edited-template',
        'build-egress-cidr',
        'previews',
        'team-namespace-quota',
      ]),
    );
  });

  it.each(cases)('%s renders exactly its expected files', async (name) => {
    const dir = join(TESTDATA, name);
    const templates = await loadTemplates(join(dir, 'input', 'templates'));
    const rendered = render(await readJson<RenderInput>(join(dir, 'input', 'input.json')), templates);
    if (UPDATE) await writeTree(join(dir, 'expected'), rendered);

    const expected = await readTree(join(dir, 'expected'));
    expect([...rendered.keys()].sort()).toEqual([...expected.keys()]);
    for (const [path, text] of expected) {
      expect({ path, text: rendered.get(path) }).toEqual({ path, text });
    }
  });

  it.each(cases.filter((name) => existsSync(join(TESTDATA, name, 'input', 'previous.json'))))(
    '%s removes exactly the files listed in removed.txt',
    async (name) => {
      const dir = join(TESTDATA, name);
      const templates = await loadTemplates(join(dir, 'input', 'templates'));
      const before = render(await readJson<RenderInput>(join(dir, 'input', 'previous.json')), templates);
      const after = render(await readJson<RenderInput>(join(dir, 'input', 'input.json')), templates);
      const removed = [...before.keys()].filter((path) => !after.has(path)).sort();
      if (UPDATE) await writeFile(join(dir, 'removed.txt'), `${removed.join('\n')}\n`);
      const expected = (await readFile(join(dir, 'removed.txt'), 'utf8')).split('\n').filter(Boolean);
      expect(removed).toEqual(expected);
    },
  );
});
