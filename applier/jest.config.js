import { workspaceJestConfig } from '../jest.base.js';

// The http-source test drives a real `git http-backend`: it gets more than jest's 5 s,
// set in the setup file.
export default workspaceJestConfig('applier', {
  setupFilesAfterEnv: ['<rootDir>/test/support/jest-timeout.ts'],
});
