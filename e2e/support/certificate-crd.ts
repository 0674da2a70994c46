/**
 * cert-manager's Certificate CRD (cert-manager.io/v1, as cert-manager v1.21 installs it),
 * reduced to the fields the platform reads: the real Kubernetes API serves and stores
 * Certificates as it does with cert-manager installed, and a test writes their status as
 * cert-manager's controller would (the status subresource). cert-manager itself is not
 * run here (the real-node tier's business).
 */
export const CERTIFICATE_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: certificates.cert-manager.io
spec:
  group: cert-manager.io
  names:
    kind: Certificate
    listKind: CertificateList
    plural: certificates
    singular: certificate
    shortNames: [cert, certs]
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources:
        status: {}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-preserve-unknown-fields: true
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
`;

/** A Certificate for `hosts` in `namespace` (its status written separately). */
export function certificateYaml(namespace: string, name: string, hosts: string[]): string {
  return `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  secretName: ${name}-tls
  dnsNames: [${hosts.join(', ')}]
  issuerRef: { kind: ClusterIssuer, name: letsencrypt, group: cert-manager.io }
`;
}
