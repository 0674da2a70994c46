import { existsSync } from 'node:fs';

/** One jest run over every workspace that has tests (`npm test`). */
const workspaces = ['common', 'gitops-writer', 'applier', 'api', 'ui', 'e2e'];

export default {
  projects: workspaces.filter((w) => existsSync(new URL(`./${w}/jest.config.js`, import.meta.url))).map((w) => `<rootDir>/${w}`),
};
