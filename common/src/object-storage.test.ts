import { BUCKET_PREFIX_MAX, bucketNameFor, bucketPrefixProblem } from './object-storage.js';
import { NAME_MAX } from './names.js';

/** S3's bucket naming rules (general purpose buckets), as AWS documents them. */
function s3Refuses(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'length';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return 'characters';
  if (name.includes('..')) return 'two periods';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'an IP address';
  if (['xn--', 'sthree-', 'amzn-s3-demo-'].some((p) => name.startsWith(p))) return 'a reserved beginning';
  if (['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].some((e) => name.endsWith(e))) return 'a reserved end';
  return null;
}

const HASH = 'ab12cd';

describe('bucket names with an operator prefix (AWS S3\'s global namespace)', () => {
  it('are the host label without a prefix, and the prefix then the label when it fits', () => {
    expect(bucketNameFor(HASH, 'shop', 'web')).toBe('ab12cd-shop--web');
    expect(bucketNameFor(HASH, 'shop', 'web', 'acme-')).toBe('acme-ab12cd-shop--web');
    expect(bucketNameFor(HASH, 'shop', 'web', 'acme')).toBe('acmeab12cd-shop--web');
  });

  it('keep every name within S3\'s rules, long ones and reserved ends included', () => {
    const prefixes = ['', 'a', 'acme-prod-', 'x'.repeat(BUCKET_PREFIX_MAX - 1) + '-'];
    const names = ['a', 'web', 'x-s3', 'table-s3', 'api-s3alias', 'n'.repeat(NAME_MAX), 'svc-' + 'q'.repeat(NAME_MAX - 4)];
    for (const prefix of prefixes) {
      for (const project of ['p', 'shop', 'r'.repeat(NAME_MAX)]) {
        for (const service of names) {
          const bucket = bucketNameFor(HASH, project, service, prefix);
          expect({ bucket, refused: s3Refuses(bucket) }).toEqual({ bucket, refused: null });
          expect(bucket.startsWith(prefix)).toBe(true);
        }
      }
    }
  });

  it('are injective: no two services of many share a bucket, for any prefix', () => {
    const services = ['a', 'b', 'web', 'web-2', 'x-s3', 'n'.repeat(NAME_MAX), 'n'.repeat(NAME_MAX - 1) + 'm', 'n'.repeat(40)];
    const projects = ['p', 'p-2', 'shop', 'r'.repeat(NAME_MAX), 'r'.repeat(NAME_MAX - 1) + 's', 'r'.repeat(30)];
    for (const prefix of ['', 'acme-', 'y'.repeat(BUCKET_PREFIX_MAX)]) {
      const seen = new Map<string, string>();
      for (const hash of [HASH, 'ff00aa']) {
        for (const project of projects) {
          for (const service of services) {
            const bucket = bucketNameFor(hash, project, service, prefix);
            const who = `${hash}/${project}/${service}`;
            expect({ bucket, owner: seen.get(bucket) ?? who }).toEqual({ bucket, owner: who });
            seen.set(bucket, who);
          }
        }
      }
    }
  });

  it.each([
    ['Acme', /lowercase/],
    ['acme_prod', /lowercase/],
    ['acme.prod', /no dots/],
    ['-acme', /letter or digit first/],
    ['acme--', /two hyphens/],
    ['xn--acme', /two hyphens/],
    ['sthree-acme', /reserves/],
    ['amzn-s3-demo-x', /reserves/],
    ['a'.repeat(BUCKET_PREFIX_MAX + 1), /at most 32/],
  ])('refuse the prefix %j', (prefix, problem) => {
    expect(bucketPrefixProblem(prefix)).toMatch(problem);
  });

  it.each(['', 'acme', 'acme-', 'acme-prod-eu1-', '0'])('accept the prefix %j', (prefix) => {
    expect(bucketPrefixProblem(prefix)).toBeNull();
  });
});
