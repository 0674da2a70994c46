// cert-manager's Certificate conditions in plain words, from status objects as cert-manager
// v1.21 writes them (pkg/apis/certmanager/v1 types, the readiness and issuing controllers).
import { describeCertificate, needsAttention } from './certificates.js';

const at = '2027-02-01T00:00:00Z';

describe('describeCertificate', () => {
  it('is ready, with its expiry, when Ready is True', () => {
    expect(
      describeCertificate({
        spec: { dnsNames: ['blog.example.org'] },
        status: { notAfter: at, conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' }] },
      }),
    ).toEqual({ state: 'ready', message: `Issued; valid until ${at}. cert-manager renews it before then.`, notAfter: at });
  });

  it('is issuing while Issuing is True, with the reason Ready gives', () => {
    expect(
      describeCertificate({
        status: {
          conditions: [
            { type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' },
            { type: 'Issuing', status: 'True', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' },
          ],
        },
      }),
    ).toMatchObject({ state: 'issuing', message: expect.stringMatching(/does not exist yet/) as unknown, notAfter: null });
  });

  it('is failed, with cert-manager\'s message, when the issuance failed', () => {
    const failed = describeCertificate({
      status: {
        lastFailureTime: at,
        failedIssuanceAttempts: 1,
        conditions: [
          { type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' },
          { type: 'Issuing', status: 'False', reason: 'Failed', message: 'The certificate request has failed to complete and will be retried: Failed to wait for order resource to become ready: order is in "invalid" state' },
        ],
      },
    });
    expect(failed.state).toBe('failed');
    expect(failed.message).toMatch(/refused[\s\S]*order is in "invalid" state[\s\S]*tries again/);
  });

  it('is waiting before cert-manager wrote any condition', () => {
    expect(describeCertificate({ spec: { dnsNames: ['x.example.org'] } })).toMatchObject({ state: 'waiting', notAfter: null });
  });
});

describe('needsAttention', () => {
  const now = new Date('2027-01-01T00:00:00Z');
  const ready = (notAfter: string) => ({
    metadata: { name: 'domain-1', namespace: 'abc123-shop' },
    spec: { dnsNames: ['blog.example.org'] },
    status: { notAfter, conditions: [{ type: 'Ready', status: 'True' }] },
  });

  it('names a certificate expiring within 14 days, and not one expiring later', () => {
    expect(needsAttention(ready('2027-01-10T00:00:00Z'), now)).toMatchObject({ namespace: 'abc123-shop', name: 'domain-1', hosts: ['blog.example.org'], why: 'expiring' });
    expect(needsAttention(ready('2027-02-01T00:00:00Z'), now)).toBeNull();
  });

  it('names a failing one', () => {
    const failing = { metadata: { name: 'x', namespace: 'n' }, status: { conditions: [{ type: 'Issuing', status: 'False', reason: 'Failed', message: 'rate limited' }] } };
    expect(needsAttention(failing, now)).toMatchObject({ why: 'failing', certificate: { state: 'failed' } });
  });
});
