// Jest config of the e2e workspace. The global setup starts one real control plane per
// run (or uses DANGUS_TEST_KUBECONFIG's cluster); see cluster/README.md.
import { workspaceJestConfig } from '../jest.base.js';

export default workspaceJestConfig('e2e', {
  preset: 'ts-jest/presets/default-esm',
  globalSetup: '<rootDir>/support/global-setup.js',
  globalTeardown: '<rootDir>/support/global-teardown.js',
  // Cluster tests poll real controllers on 2 shared cores: generous per-test budget.
  // (testTimeout alone is ignored under the root's multi-project run: see jest-timeout.ts.)
  testTimeout: 300_000,
  setupFilesAfterEnv: ['<rootDir>/cluster/src/jest-timeout.ts'],
});
