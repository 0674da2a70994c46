// The lint's boundaries fire (docs/architecture.md#code-conventions): files planted inside
// the workspaces, with a cycle or an import that runs the wrong way, are reported by the
// rule that guards them, while the same files importing the right way are clean; and the
// repository as it is lints clean. Runs the real eslint CLI with the repository's config.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const eslintBin = join(root, 'node_modules/eslint/bin/eslint.js');

interface LintMessage {
  ruleId: string | null;
  message: string;
}
interface LintResult {
  filePath: string;
  messages: LintMessage[];
}

function eslint(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [eslintBin, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A directory of its own in a workspace folder, so a run never meets another's files. */
const probe = `lint-probe-${String(process.pid)}`;
const planted: string[] = [];

/** Writes `source` to `{folder}/{probe}/{name}` and returns the path relative to the root. */
function plant(folder: string, name: string, source: string): string {
  const dir = join(root, folder, probe);
  mkdirSync(dir, { recursive: true });
  planted.push(dir);
  writeFileSync(join(dir, name), source);
  return relative(root, join(dir, name));
}

/** An import of `what` from `from`, used so that no other rule has anything to say. */
const importing = (what: string, from: string): string => `import { ${what} } from '${from}';\n\nexport const probe = ${what};\n`;

interface Case {
  name: string;
  folder: string;
  /** The import that breaks the boundary, and the rule that must report it. */
  wrong: { what: string; from: string; rule: string };
  /** The same folder importing the right way: clean. */
  right: { what: string; from: string };
}

const cases: Case[] = [
  {
    name: 'the pipeline imports a use case',
    folder: 'api/src/pipeline',
    wrong: { what: 'listDeployments', from: '../../use-cases/deployments.js', rule: 'import-x/no-restricted-paths' },
    right: { what: 'toDeploymentDto', from: '../../db/deployment-dto.js' },
  },
  {
    name: 'a use case imports http/',
    folder: 'api/src/use-cases',
    wrong: { what: 'createApp', from: '../../http/app.js', rule: 'import-x/no-restricted-paths' },
    right: { what: 'listDeployments', from: '../deployments.js' },
  },
  {
    name: 'the state repo imports roles/',
    folder: 'api/src/state-repo',
    wrong: { what: 'startController', from: '../../roles/controller.js', rule: 'import-x/no-restricted-paths' },
    right: { what: 'buildSecretName', from: '@dangus/gitops-writer' },
  },
  {
    name: 'config imports a use case',
    folder: 'api/src/config',
    wrong: { what: 'applyRetention', from: '../../use-cases/retention.js', rule: 'import-x/no-restricted-paths' },
    right: { what: 'Encryptor', from: '../../crypto/encryption.js' },
  },
  {
    name: 'product code imports test support',
    folder: 'api/src/kube',
    wrong: { what: 'startTestPlatform', from: '../../../test/support/platform.js', rule: 'import-x/no-restricted-paths' },
    right: { what: 'loadKubeConfig', from: '../kube-config.js' },
  },
  {
    name: 'the renderer reads a file',
    folder: 'gitops-writer/src/render',
    wrong: { what: 'readFileSync', from: 'node:fs', rule: 'no-restricted-imports' },
    right: { what: 'shortSha', from: '../variables.js' },
  },
  {
    name: 'the renderer imports the git writer',
    folder: 'gitops-writer/src/render',
    wrong: { what: 'StateRepo', from: '../../state-repo/state-repo.js', rule: 'import-x/no-restricted-paths' },
    right: { what: 'tenantDir', from: '../layout.js' },
  },
  {
    name: 'e2e reaches into api/test/support by path',
    folder: 'e2e/pipeline',
    wrong: { what: 'FakeHarbor', from: '../../../api/test/support/fake-harbor.js', rule: 'no-restricted-imports' },
    right: { what: 'FakeHarbor', from: '@dangus/api/test-support/fake-harbor' },
  },
  {
    name: 'e2e reaches into api/src by path',
    folder: 'e2e/process',
    wrong: { what: 'startEmbeddedPostgres', from: '../../../api/src/db/embedded-postgres.js', rule: 'no-restricted-imports' },
    right: { what: 'startEmbeddedPostgres', from: '@dangus/api/embedded-postgres' },
  },
  {
    name: 'common imports another workspace',
    folder: 'common/src',
    wrong: { what: 'shortSha', from: '@dangus/gitops-writer', rule: 'no-restricted-imports' },
    right: { what: 'namespaceFor', from: '../names.js' },
  },
];

describe('the lint enforces the boundaries', () => {
  const files = new Map<string, string>();
  let results: Map<string, LintMessage[]>;

  beforeAll(() => {
    // A cycle of two files, and the same two files importing one way only.
    files.set('cycle a', plant('api/src/use-cases', 'cycle-a.ts', importing('b', './cycle-b.js').replace('export const probe', 'export const a = 1;\nexport const probe')));
    files.set('cycle b', plant('api/src/use-cases', 'cycle-b.ts', importing('a', './cycle-a.js').replace('export const probe', 'export const b = 1;\nexport const probe')));
    files.set('one-way a', plant('api/src/use-cases', 'one-way-a.ts', importing('b', './one-way-b.js')));
    files.set('one-way b', plant('api/src/use-cases', 'one-way-b.ts', 'export const b = 1;\n'));
    cases.forEach((c, i) => {
      files.set(`${c.name}: wrong`, plant(c.folder, `wrong-${String(i)}.ts`, importing(c.wrong.what, c.wrong.from)));
      files.set(`${c.name}: right`, plant(c.folder, `right-${String(i)}.ts`, importing(c.right.what, c.right.from)));
    });
    const run = eslint(['--format', 'json', ...files.values()]);
    const parsed = JSON.parse(run.stdout) as LintResult[];
    results = new Map(parsed.map((r) => [relative(root, r.filePath), r.messages]));
  });

  afterAll(() => {
    for (const dir of new Set(planted)) rmSync(dir, { recursive: true, force: true });
  });

  const rules = (key: string): (string | null)[] => {
    const messages = results.get(files.get(key)!);
    if (!messages) throw new Error(`eslint reported nothing for ${key}`);
    return messages.map((m) => m.ruleId);
  };

  it('reports a planted import cycle on both files', () => {
    expect(rules('cycle a')).toContain('import-x/no-cycle');
    expect(rules('cycle b')).toContain('import-x/no-cycle');
  });

  it('passes the same files importing one way', () => {
    expect(results.get(files.get('one-way a')!)).toEqual([]);
    expect(results.get(files.get('one-way b')!)).toEqual([]);
  });

  it.each(cases)('reports a wrong-way import: $name', (c) => {
    expect(rules(`${c.name}: wrong`)).toContain(c.wrong.rule);
    expect(results.get(files.get(`${c.name}: right`)!)).toEqual([]);
  });
});

describe('the repository', () => {
  it('lints clean', () => {
    const run = eslint(['--max-warnings=0', '.']);
    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.status).toBe(0);
  });
});
