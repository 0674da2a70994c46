import { isGitHubAccount, LOCAL_GITHUB_ID } from './local-sign-in.js';
import { SETUP_GITHUB_ID } from './first-run-setup.js';

describe('isGitHubAccount', () => {
  it('is true for GitHub ids only: never the local user, the setup admin or a team account', () => {
    expect([LOCAL_GITHUB_ID, SETUP_GITHUB_ID, '-12', '1', '4242', '9007199254740993'].map(isGitHubAccount)).toEqual([false, false, false, true, true, true]);
  });
});
