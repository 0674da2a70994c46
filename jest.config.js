/** One jest run over every workspace (`npm test`). */
export default {
  projects: ['<rootDir>/common', '<rootDir>/gitops-writer', '<rootDir>/api', '<rootDir>/e2e'],
};
