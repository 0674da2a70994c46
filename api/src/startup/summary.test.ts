import { loadConfig } from '../config/config.js';
import { startupSummary } from './summary.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const installed = { DATABASE_URL: 'postgres://dangus:pw-not-shown@db.internal:5433/dangus', ENCRYPTION_KEY: KEY, SESSION_SECRET: 's'.repeat(32), HOST: '0.0.0.0', PUBLIC_URL: 'https://dangus.example.com' };

describe('the start-up line', () => {
  it('off loopback: says to open PUBLIC_URL, sign in with GitHub, names the cluster and PostgreSQL without the password', () => {
    const config = loadConfig({ ...installed, GITHUB_CLIENT_ID: 'Iv1.abc', GITHUB_CLIENT_SECRET: 'the-app-secret', DANGUS_ROLE: 'api' });
    const { line, fields } = startupSummary(config, { source: 'KUBECONFIG', context: 'k3s', server: 'https://10.0.0.2:6443' });
    expect(line).toBe(
      'Dangus Cloud (api) is listening on http://0.0.0.0:3000: open https://dangus.example.com and sign in with GitHub · cluster: "k3s" at https://10.0.0.2:6443 (KUBECONFIG) · data in PostgreSQL at db.internal:5433/dangus',
    );
    expect(fields).toMatchObject({ url: 'https://dangus.example.com', signIn: 'github', data: { postgres: 'db.internal:5433/dangus' } });
    expect(JSON.stringify({ line, fields })).not.toContain('pw-not-shown');
  });

  it('says when nobody can sign in, and what to set', () => {
    const { line } = startupSummary(loadConfig(installed), undefined);
    expect(line).toContain('nobody can sign in yet: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (a GitHub OAuth app)');
    expect(line).toContain('no cluster: pushes are recorded but not built (set KUBECONFIG to build and deploy)');
  });

  it('for the controller: its own address, the cluster it runs in, the state repo', () => {
    const config = loadConfig({ ...installed, DANGUS_ROLE: 'controller', STATE_REPO_DIR: '/var/lib/dangus/state-repo' });
    const { line } = startupSummary(config, { source: 'in-cluster', context: undefined, server: 'https://10.43.0.1:443' });
    expect(line).toBe(
      "Dangus Cloud's controller is listening on http://0.0.0.0:3000 (probes and /status only) · cluster: the one this pod runs in (https://10.43.0.1:443) · data in PostgreSQL at db.internal:5433/dangus, state repo in /var/lib/dangus/state-repo",
    );
  });
});
