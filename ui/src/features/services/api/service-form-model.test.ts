import type { ServiceDto } from '@dangus/common';
import { apiFieldErrors } from '../../../lib/field-errors';
import { emptyServiceForm, validateCreate, validateUpdate, valuesFromService, type ServiceFormValues } from './service-form-model';

const good: ServiceFormValues = {
  ...emptyServiceForm,
  name: 'web',
  repoUrl: 'https://github.com/octo/hello',
  port: '8080',
};

const service: ServiceDto = {
  id: 's1',
  projectId: 'p1',
  name: 'web',
  repoUrl: 'https://github.com/octo/hello',
  branch: 'main',
  contextDir: '.',
  dockerfilePath: 'Dockerfile',
  watchPaths: [],
  port: 8080,
  storageGb: null,
  healthCheckPath: null,
  replicas: 1,
  size: null,
  hsts: false,
  subdomain: 'abc123-web',
  publicUrl: 'https://abc123-web.example.com',
  internalAddress: 'http://web:8080',
  webhookUrl: 'https://example.com/webhooks/github/s1',
  webhookSecret: 'secret',
  pushesViaApp: false,
  status: null,
  syncError: null,
  can: {
    deploy: { ok: true, reason: null },
    restart: { ok: true, reason: null },
    scale: { ok: true, reason: null },
    observe: { ok: true, reason: null },
  },
  previews: { enabled: false, max: 3, ttlDays: 7, seedKeys: [], missingSeedKeys: [] },
  createdAt: '2026-01-01T00:00:00Z',
};

describe('new service form', () => {
  it('when the defaults are kept, then branch main, Dockerfile, no storage, no health check, one default pod, no HSTS are sent', () => {
    expect(validateCreate(good)).toEqual({
      ok: true,
      input: {
        name: 'web',
        repoUrl: 'https://github.com/octo/hello',
        branch: 'main',
        contextDir: '.',
        dockerfilePath: 'Dockerfile',
        watchPaths: [],
        port: 8080,
        storageGb: null,
        healthCheckPath: null,
        replicas: 1,
        size: null,
        hsts: false,
      },
    });
  });

  it('when storage and health check are switched on, then their values are sent', () => {
    const result = validateCreate({ ...good, storageEnabled: true, storageGb: 5, healthCheckEnabled: true, healthCheckPath: '/up' });
    expect(result.ok && result.input).toMatchObject({ storageGb: 5, healthCheckPath: '/up' });
  });

  it.each([
    ['name', { name: 'Web' }],
    ['name', { name: '' }],
    ['repoUrl', { repoUrl: 'https://gitlab.com/a/b' }],
    ['branch', { branch: 'bad..branch' }],
    ['dockerfilePath', { dockerfilePath: '../Dockerfile' }],
    ['port', { port: '80a' }],
    ['port', { port: '' }],
    ['port', { port: '70000' }],
    ['healthCheckPath', { healthCheckEnabled: true, healthCheckPath: 'healthz' }],
    ['contextDir', { contextDir: '/apps/web' }],
    ['watchPaths', { watchPaths: 'apps/web/**\n../secrets' }],
  ] as const)('when %s is wrong (%j), then only that field has an error', (field, change) => {
    const result = validateCreate({ ...good, ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors)).toEqual([field]);
  });
});

describe('monorepo fields', () => {
  it('sends the watch paths one per line, split on commas and trimmed, and the context normalised', () => {
    const result = validateCreate({ ...good, contextDir: './apps/web/', watchPaths: ' apps/web/** , package-lock.json\n\n!**/*.md ' });
    expect(result.ok && result.input).toMatchObject({ contextDir: 'apps/web', watchPaths: ['apps/web/**', 'package-lock.json', '!**/*.md'] });
  });

  it('an edit sends the watch paths only when the patterns change, not their spelling', () => {
    const watched = { ...service, contextDir: 'apps/web', watchPaths: ['apps/web/**', 'package-lock.json'] };
    expect(validateUpdate({ ...valuesFromService(watched), watchPaths: 'apps/web/**, package-lock.json', contextDir: 'apps/web/' }, watched)).toEqual({
      ok: false,
      errors: { _form: ['Nothing has changed.'] },
    });
    expect(validateUpdate({ ...valuesFromService(watched), watchPaths: 'apps/web/**' }, watched)).toEqual({ ok: true, input: { watchPaths: ['apps/web/**'] } });
  });
});

describe('edit service form', () => {
  it('when only the branch changes, then only the branch is sent', () => {
    expect(validateUpdate({ ...valuesFromService(service), branch: 'dev' }, service)).toEqual({
      ok: true,
      input: { branch: 'dev' },
    });
  });

  it('when storage is switched off, then storageGb null is sent', () => {
    const withStorage = { ...service, storageGb: 3 };
    expect(validateUpdate({ ...valuesFromService(withStorage), storageEnabled: false }, withStorage)).toEqual({
      ok: true,
      input: { storageGb: null },
    });
  });

  it('when nothing changes, then nothing is sent and the form says so', () => {
    expect(validateUpdate(valuesFromService(service), service)).toEqual({
      ok: false,
      errors: { _form: ['Nothing has changed.'] },
    });
  });
});

describe('errors from the api', () => {
  it('when the api names a field of the form, then the error goes under it; others go to the form', () => {
    expect(apiFieldErrors({ name: ['Taken in project shop.'], 'env.0.key': ['Bad key.'] }, ['name', 'port'])).toEqual({
      name: ['Taken in project shop.'],
      _form: ['env.0.key: Bad key.'],
    });
  });
});
