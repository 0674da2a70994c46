import { workspaceJestConfig } from '../jest.base.js';

export default workspaceJestConfig('api', {
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  setupFilesAfterEnv: ['<rootDir>/test/support/jest-timeout.ts'],
});
