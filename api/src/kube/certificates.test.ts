// cert-manager's Certificate conditions in plain words, from status objects as cert-manager
// v1.21 writes them (pkg/apis/certmanager/v1 types, the readiness and issuing controllers).
import { describeCertificate } from './certificates.js';

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
