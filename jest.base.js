// Shared jest settings for every workspace: ESM TypeScript through ts-jest,
// transpile-only (type checking is `tsc -b`, run before jest by `npm test`).
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

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
