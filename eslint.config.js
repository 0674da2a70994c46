// Type-aware lint for every workspace (docs/architecture.md#code-conventions): the no-unsafe-*
// rules stay on, import cycles are errors, and the boundaries below (between workspaces, and
// between the rooms of api/src) fail the lint. e2e/repo/lint-boundaries.test.ts plants a cycle
// and a wrong-way import and checks that they are reported.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';

/** Test files and test support, wherever they live. */
const TEST_FILES = ['**/*.test.ts', '**/*.test.tsx', '**/test/**'];

/**
 * Which workspaces each workspace's product code (`{workspace}/src`) may import, by package
 * name or by path; every other listed workspace is refused, e2e/ always. A new workspace
 * needs a line here: until then neither its imports nor imports of it are checked. The
 * applier is a workspace of its own (`applier/`).
 */
const MAY_IMPORT = {
  common: [],
  'gitops-writer': ['common'],
  applier: ['common', 'gitops-writer'],
  api: ['common', 'gitops-writer', 'applier'],
  ui: ['common'],
};
const WORKSPACES = [...Object.keys(MAY_IMPORT), 'e2e'];
const refusedWorkspaces = (ws) => WORKSPACES.filter((other) => other !== ws && !MAY_IMPORT[ws].includes(other));

/**
 * Workspaces reach each other through their package names, never by relative path: product
 * code through `@dangus/{workspace}`, the e2e suite through the entries a package exports for
 * it (the shared test support `@dangus/api/test-support/*`, `@dangus/api/server`, …).
 */
const BY_PACKAGE_NAME = {
  group: [
    '../../common/*',
    '../../../common/*',
    '**/common/src/*',
    '**/gitops-writer/src/*',
    '**/applier/src/*',
    '**/api/src/*',
    '**/api/test/*',
    '**/gitops-writer/test/*',
  ],
  message: 'Import other workspaces by package name (@dangus/…; what e2e may use of api is the exports table of api/package.json).',
};
const noRestrictedImports = (patterns = [], paths = []) => ['error', { patterns: [BY_PACKAGE_NAME, ...patterns], paths }];
const refusedPackages = (ws) => ({
  group: refusedWorkspaces(ws).map((other) => `@dangus/${other}`),
  message: `${ws} may import only ${MAY_IMPORT[ws].map((w) => `@dangus/${w}`).join(', ') || 'no other workspace'} (eslint.config.js MAY_IMPORT).`,
});

/** The renderer is pure: data in, manifests out. I/O lives in the writer and the applier. */
const IO_MODULES = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'http2', 'dgram', 'worker_threads'].flatMap((m) => [m, `node:${m}`]);
const IO_PACKAGES = ['isomorphic-git', '@kubernetes/client-node', 'pg', 'typeorm'];
const rendererIo = IO_MODULES.concat(IO_PACKAGES).map((name) => ({ name, message: 'The renderer does no I/O (gitops-writer/src/render is pure).' }));

const room = (name) => `api/src/${name}`;
/** api/src, one room per concept (docs/architecture.md "The parts"), from the foundation up. */
const FOUNDATION = ['auth', 'config', 'crypto', 'db', 'github', 'registry', 'object-storage'];
const PARTS = ['state-repo', 'pipeline', 'kube', 'coordination', 'events'];
const zone = (target, from, message) => ({ target, from, message });

const ZONES = [
  // Workspaces.
  ...Object.keys(MAY_IMPORT).flatMap((ws) =>
    refusedWorkspaces(ws).map((other) => zone(`${ws}/src`, other, `${ws} may not import ${other} (eslint.config.js MAY_IMPORT).`)),
  ),
  // No product code imports a test or test support.
  zone('*/src/**', '**/test/**', 'Product code never imports test support.'),
  zone('*/src/**', '**/*.test.{ts,tsx}', 'Product code never imports a test.'),
  // The renderer imports neither the writer's I/O nor the applier nor the template reader.
  ...['gitops-writer/src/state-repo', 'applier/src', 'gitops-writer/src/templates/read-templates.ts'].map((from) =>
    zone('gitops-writer/src/render', from, 'The renderer is pure: no git, no cluster, no file reads.'),
  ),
  // api rooms: arrows point down.
  ...['http', 'roles', 'use-cases', ...PARTS].map((from) =>
    zone(FOUNDATION.map((r) => `${room(r)}/**`).concat('api/src/{errors,logger}.ts'), room(from), 'The foundation rooms import no room above them.'),
  ),
  zone(room('use-cases'), room('http'), 'Use cases know nothing of HTTP: routes call them.'),
  ...PARTS.flatMap((part) => [
    zone(room(part), room('http'), `${part}/ does not import http/: HTTP sits on top of it.`),
    zone(room(part), room('roles'), `${part}/ does not import roles/: a role composes it.`),
  ]),
  zone(room('pipeline'), room('use-cases'), 'The pipeline does not import use cases: move what both need into a lower module.'),
  zone(['api/src/!(roles)/**', 'api/src/!(main|server).ts'], room('roles'), 'Only main.ts, server.ts and roles/ import roles/.'),
];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/dist-types/**', '**/node_modules/**', '**/coverage/**', '**/testdata/**', '**/*.config.js', '**/*.config.ts', 'jest.base.js', '**/global-setup.js', '**/global-teardown.js', 'scripts/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // import-x follows an import only into a file it may parse (the extensions and the
      // parser below) and that its resolver finds: the TypeScript resolver maps `./x.js` to
      // `x.ts` as tsc does. Without both, no-cycle and no-restricted-paths pass vacuously.
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['*/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // TypeORM's EntitySchema and @kubernetes/client-node document object literals for
      // their option and model classes: the rule flags every correct use.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': noRestrictedImports(),
    },
  },
  // Product code: the boundaries. Tests may reach across them (a test of a use case builds an app).
  {
    files: ['*/src/**/*.{ts,tsx}'],
    ignores: TEST_FILES,
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: ZONES }],
      // One job per file (docs/architecture.md#code-conventions): a longer file splits by its jobs.
      'max-lines': ['error', { max: 400 }],
    },
  },
  ...Object.keys(MAY_IMPORT).map((ws) => ({
    files: [`${ws}/src/**/*.{ts,tsx}`],
    ignores: TEST_FILES,
    rules: { 'no-restricted-imports': noRestrictedImports([refusedPackages(ws)]) },
  })),
  {
    files: ['gitops-writer/src/render/**/*.ts'],
    ignores: TEST_FILES,
    rules: { 'no-restricted-imports': noRestrictedImports([refusedPackages('gitops-writer')], rendererIo) },
  },
  {
    // Tests assert on parsed JSON bodies (typed any by supertest) and use jest globals.
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
