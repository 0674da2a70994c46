import { ConfigError, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the object-storage settings', () => {
  it('are off by default', () => {
    expect(loadConfig({}).objectStorage).toBeNull();
  });

  it('take the endpoint and the admin, with the defaults of the rest', () => {
    const config = loadConfig({ OBJECT_STORAGE_ENDPOINT: 'http://weed.storage:8333/', OBJECT_STORAGE_ACCESS_KEY_ID: 'admin', OBJECT_STORAGE_SECRET_ACCESS_KEY: 'secret' });
    expect(config.objectStorage).toEqual({
      endpoint: 'http://weed.storage:8333',
      iamEndpoint: 'http://weed.storage:8333',
      appEndpoint: 'http://weed.storage:8333',
      region: 'us-east-1',
      bucketPrefix: '',
      admin: { accessKeyId: 'admin', secretAccessKey: 'secret' },
      graceDays: 7,
      bucketsPerProject: 5,
    });
  });

  it('refuse an endpoint without its admin, an admin without an endpoint, and bad values, naming each setting', () => {
    expect(problemsOf({ OBJECT_STORAGE_ENDPOINT: 'http://weed:8333' })).toEqual([
      expect.stringMatching(/^OBJECT_STORAGE_ACCESS_KEY_ID: OBJECT_STORAGE_ENDPOINT is set/),
      expect.stringMatching(/^OBJECT_STORAGE_SECRET_ACCESS_KEY: OBJECT_STORAGE_ENDPOINT is set/),
    ]);
    expect(problemsOf({ OBJECT_STORAGE_ACCESS_KEY_ID: 'a', OBJECT_STORAGE_SECRET_ACCESS_KEY: 'b' })).toEqual([
      expect.stringMatching(/^OBJECT_STORAGE_ACCESS_KEY_ID: set OBJECT_STORAGE_ENDPOINT too/),
      expect.stringMatching(/^OBJECT_STORAGE_SECRET_ACCESS_KEY: set OBJECT_STORAGE_ENDPOINT too/),
    ]);
    const base = { OBJECT_STORAGE_ACCESS_KEY_ID: 'a', OBJECT_STORAGE_SECRET_ACCESS_KEY: 'b' };
    expect(problemsOf({ ...base, OBJECT_STORAGE_ENDPOINT: 'ftp://weed' })).toEqual(['OBJECT_STORAGE_ENDPOINT: OBJECT_STORAGE_ENDPOINT must be an http(s) URL.']);
    expect(problemsOf({ ...base, OBJECT_STORAGE_ENDPOINT: 'http://weed', OBJECT_STORAGE_GRACE_DAYS: '-1' })).toEqual([expect.stringMatching(/^OBJECT_STORAGE_GRACE_DAYS: /)]);
    expect(problemsOf({ ...base, OBJECT_STORAGE_ENDPOINT: 'http://weed', OBJECT_STORAGE_REGION: 'US East' })).toEqual([expect.stringMatching(/^OBJECT_STORAGE_REGION: /)]);
  });

  it('let the apps reach the endpoint past the tenants\' egress policy only with a CIDR, on the app endpoint\'s port', () => {
    const base = { OBJECT_STORAGE_ENDPOINT: 'http://127.0.0.1:8333', OBJECT_STORAGE_ACCESS_KEY_ID: 'a', OBJECT_STORAGE_SECRET_ACCESS_KEY: 'b' };
    expect(loadConfig(base).render.objectStorageEgress).toBeNull();
    expect(loadConfig({ ...base, OBJECT_STORAGE_EGRESS_CIDR: '10.88.0.1/32' }).render.objectStorageEgress).toEqual({ cidr: '10.88.0.1/32', port: 8333 });
    expect(loadConfig({ ...base, OBJECT_STORAGE_EGRESS_CIDR: '10.43.0.12/32', OBJECT_STORAGE_APP_ENDPOINT: 'https://s3.storage.svc' }).render.objectStorageEgress).toEqual({ cidr: '10.43.0.12/32', port: 443 });
    expect(problemsOf({ ...base, OBJECT_STORAGE_EGRESS_CIDR: '10.0.0.0/8; drop' })).toEqual(['OBJECT_STORAGE_EGRESS_CIDR: OBJECT_STORAGE_EGRESS_CIDR must be a CIDR such as 10.43.0.12/32.']);
    expect(problemsOf({ OBJECT_STORAGE_EGRESS_CIDR: '10.88.0.1/32' })).toEqual([expect.stringMatching(/^OBJECT_STORAGE_EGRESS_CIDR: set OBJECT_STORAGE_ENDPOINT too/)]);
  });

  it('take a bucket-name prefix within S3\'s rules, and refuse one outside them, naming the setting', () => {
    const base = { OBJECT_STORAGE_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com', OBJECT_STORAGE_ACCESS_KEY_ID: 'a', OBJECT_STORAGE_SECRET_ACCESS_KEY: 'b' };
    expect(loadConfig({ ...base, OBJECT_STORAGE_BUCKET_PREFIX: ' acme-prod- ' }).objectStorage?.bucketPrefix).toBe('acme-prod-');
    expect(problemsOf({ ...base, OBJECT_STORAGE_BUCKET_PREFIX: 'Acme_Prod' })).toEqual([
      expect.stringMatching(/^OBJECT_STORAGE_BUCKET_PREFIX: OBJECT_STORAGE_BUCKET_PREFIX must be lowercase letters, digits and hyphens/),
    ]);
    expect(problemsOf({ ...base, OBJECT_STORAGE_BUCKET_PREFIX: 'acme--' })).toEqual([expect.stringMatching(/^OBJECT_STORAGE_BUCKET_PREFIX: .*no two hyphens/)]);
    expect(problemsOf({ ...base, OBJECT_STORAGE_BUCKET_PREFIX: 'sthree-x' })).toEqual([expect.stringMatching(/^OBJECT_STORAGE_BUCKET_PREFIX: .*S3 reserves/)]);
    expect(problemsOf({ OBJECT_STORAGE_BUCKET_PREFIX: 'acme-' })).toEqual([expect.stringMatching(/^OBJECT_STORAGE_BUCKET_PREFIX: set OBJECT_STORAGE_ENDPOINT too/)]);
  });
});
