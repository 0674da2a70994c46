import { workspaceJestConfig } from '../jest.base.js';

// Integration tests drive real git repositories and kubectl: allow them more than 5 s.
export default workspaceJestConfig('gitops-writer', { testTimeout: 60_000 });
