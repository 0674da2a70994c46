import { workspaceJestConfig } from '../jest.base.js';

// Integration tests drive real git repositories and kubectl: they get more than jest's
// 5 s, set in the setup file (see test/budget.test.ts).
export default workspaceJestConfig('gitops-writer', {
  setupFilesAfterEnv: ['<rootDir>/test/support/jest-timeout.ts'],
});
