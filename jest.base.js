// Shared jest settings for every workspace: ESM TypeScript through ts-jest,
// transpile-only (type checking is `tsc -b`, run before jest by `npm test`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The entries a workspace's package.json exports straight to TypeScript sources (the shared
 * test support, `@dangus/api/test-support/*`, and the few api parts e2e drives): mapped from
 * that table, so an entry it does not list is not found here either.
 */
function sourceEntries(workspace) {
  const { name, exports } = JSON.parse(readFileSync(`${root}${workspace}/package.json`, 'utf8'));
  return Object.fromEntries(
    Object.entries(exports ?? {})
      .filter(([, target]) => typeof target === 'string' && target.endsWith('.ts'))
      .map(([entry, target]) => [`^${name}${entry.slice(1)}$`, `${root}${workspace}${target.slice(1)}`]),
  );
}

/** @param {string} name display name of the workspace @returns {import('jest').Config} */
export function workspaceJestConfig(name, extra = {}) {
  return {
    displayName: name,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts', '.tsx'],
    moduleNameMapper: {
      '^@dangus/common$': `${root}common/src/index.ts`,
      '^@dangus/gitops-writer$': `${root}gitops-writer/src/index.ts`,
      '^@dangus/gitops-writer/errors$': `${root}gitops-writer/src/errors.ts`,
      '^@dangus/gitops-writer/history$': `${root}gitops-writer/src/state-repo/history.ts`,
      '^@dangus/gitops-writer/input-schema$': `${root}gitops-writer/src/render/input-schema.ts`,
      '^@dangus/gitops-writer/labels$': `${root}gitops-writer/src/render/labels.ts`,
      '^@dangus/gitops-writer/names$': `${root}gitops-writer/src/render/variables.ts`,
      '^@dangus/gitops-writer/quantity$': `${root}gitops-writer/src/render/quantity.ts`,
      '^@dangus/applier$': `${root}applier/src/index.ts`,
      ...sourceEntries('api'),
      ...sourceEntries('gitops-writer'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    transform: {
      '^.+\\.tsx?$': ['ts-jest', { useESM: true, diagnostics: false }],
    },
    testMatch: ['<rootDir>/**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    ...extra,
  };
}
