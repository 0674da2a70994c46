// Certificates for the test control plane, made with the openssl CLI (Node's crypto can
// make keys but not sign X.509 certificates). ECDSA P-256 throughout: fast to generate.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  /** kube-apiserver serving certificate. */
  apiserverCert: string;
  apiserverKey: string;
  /** system:masters client certificate (the kubeconfig's user, and kwok's). */
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  schedulerCert: string;
  schedulerKey: string;
  /** The apiserver's client certificate towards kubelets (kwok). */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** kwok's kubelet serving certificate (127.0.0.1), checked by the apiserver. */
  kubeletServingCert: string;
  kubeletServingKey: string;
  /** The apiserver's client certificate towards aggregated API servers (request-header auth). */
  frontProxyClientCert: string;
  frontProxyClientKey: string;
  /** ServiceAccount token signing key pair. */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('the cluster harness needs the openssl CLI to make its certificates; install openssl', { cause: err });
    }
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

async function ecKey(path: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

interface LeafSpec {
  name: string;
  subject: string;
  /** extendedKeyUsage values. */
  usage: ('serverAuth' | 'clientAuth')[];
  dns?: string[];
  ips?: string[];
}

async function leaf(dir: string, caCert: string, caKey: string, spec: LeafSpec): Promise<[string, string]> {
  const key = join(dir, `${spec.name}.key`);
  const csr = join(dir, `${spec.name}.csr`);
  const cert = join(dir, `${spec.name}.crt`);
  const ext = join(dir, `${spec.name}.ext`);
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${spec.usage.join(',')}`,
  ];
  const sans = [...(spec.dns ?? []).map((d) => `DNS:${d}`), ...(spec.ips ?? []).map((ip) => `IP:${ip}`)];
  if (sans.length > 0) lines.push(`subjectAltName=${sans.join(',')}`);
  await writeFile(ext, `${lines.join('\n')}\n`);
  await ecKey(key);
  await openssl(['req', '-new', '-key', key, '-subj', spec.subject, '-out', csr]);
  await openssl([
    'x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial',
    '-days', '30', '-sha256', '-extfile', ext, '-out', cert,
  ]);
  return [cert, key];
}

/**
 * Creates a CA and every certificate and key the control plane needs under `dir`.
 * `serviceIp` is the first address of the service range (the `kubernetes` Service).
 */
async function createCa(dir: string, commonName: string): Promise<[string, string]> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await ecKey(caKey);
  await openssl([
    'req', '-x509', '-new', '-key', caKey, '-subj', `/CN=${commonName}`, '-days', '30', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out', caCert,
  ]);
  return [caCert, caKey];
}

export async function createPki(dir: string, serviceIp: string): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const [caCert, caKey] = await createCa(dir, 'dangus-e2e-ca');
  // The CA's serial file is shared: sign one after the other.
  const [apiserverCert, apiserverKey] = await leaf(dir, caCert, caKey, {
    name: 'apiserver',
    subject: '/CN=kube-apiserver',
    usage: ['serverAuth'],
    dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: ['127.0.0.1', serviceIp],
  });
  const [adminCert, adminKey] = await leaf(dir, caCert, caKey, {
    name: 'admin', subject: '/O=system:masters/CN=dangus-e2e-admin', usage: ['clientAuth'],
  });
  const [controllerManagerCert, controllerManagerKey] = await leaf(dir, caCert, caKey, {
    name: 'controller-manager', subject: '/CN=system:kube-controller-manager', usage: ['clientAuth'],
  });
  const [schedulerCert, schedulerKey] = await leaf(dir, caCert, caKey, {
    name: 'scheduler', subject: '/CN=system:kube-scheduler', usage: ['clientAuth'],
  });
  const [kubeletClientCert, kubeletClientKey] = await leaf(dir, caCert, caKey, {
    name: 'apiserver-kubelet-client', subject: '/O=system:masters/CN=kube-apiserver-kubelet-client', usage: ['clientAuth'],
  });
  const [kubeletServingCert, kubeletServingKey] = await leaf(dir, caCert, caKey, {
    name: 'kubelet', subject: '/CN=kwok-kubelet', usage: ['serverAuth'], dns: ['localhost'], ips: ['127.0.0.1'],
  });
  const [frontProxyClientCert, frontProxyClientKey] = await leaf(dir, caCert, caKey, {
    name: 'front-proxy-client', subject: '/CN=front-proxy-client', usage: ['clientAuth'],
  });
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  await ecKey(serviceAccountKey);
  await openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub]);
  return {
    dir, caCert, caKey, apiserverCert, apiserverKey, adminCert, adminKey,
    controllerManagerCert, controllerManagerKey, schedulerCert, schedulerKey,
    kubeletClientCert, kubeletClientKey, kubeletServingCert, kubeletServingKey,
    frontProxyClientCert, frontProxyClientKey, serviceAccountKey, serviceAccountPub,
  };
}

/**
 * A fresh CA and a serving certificate it signed for `ips`/`dns`, under `dir`: for a server of
 * a test's own that the apiserver calls (an admission webhook), trusting only that CA.
 * Returns file paths.
 */
export async function createServingCert(
  dir: string,
  opts: { name: string; dns?: string[]; ips?: string[] },
): Promise<{ caCert: string; cert: string; key: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const [caCert, caKey] = await createCa(dir, `${opts.name}-ca`);
  const [cert, key] = await leaf(dir, caCert, caKey, {
    name: opts.name, subject: `/CN=${opts.name}`, usage: ['serverAuth'], dns: opts.dns, ips: opts.ips,
  });
  return { caCert, cert, key };
}

/** A serving certificate from the cluster's CA (for an aggregated API server the apiserver calls). */
export async function createClusterServingCert(pki: Pki, name: string, sans: { dns?: string[]; ips?: string[] }): Promise<{ cert: string; key: string }> {
  const [cert, key] = await leaf(pki.dir, pki.caCert, pki.caKey, { name, subject: `/CN=${name}`, usage: ['serverAuth'], ...sans });
  return { cert, key };
}

/** A kubeconfig with the CA and client certificate embedded, so the file stands alone. */
export async function writeKubeconfig(
  path: string,
  opts: { server: string; caCert: string; clientCert: string; clientKey: string; user: string; context?: string },
): Promise<void> {
  const b64 = async (p: string) => (await readFile(p)).toString('base64');
  const context = opts.context ?? 'dangus-e2e';
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${context}`,
    '  cluster:',
    `    server: ${opts.server}`,
    `    certificate-authority-data: ${await b64(opts.caCert)}`,
    'users:',
    `- name: ${opts.user}`,
    '  user:',
    `    client-certificate-data: ${await b64(opts.clientCert)}`,
    `    client-key-data: ${await b64(opts.clientKey)}`,
    'contexts:',
    `- name: ${context}`,
    '  context:',
    `    cluster: ${context}`,
    `    user: ${opts.user}`,
    `current-context: ${context}`,
    '',
  ].join('\n');
  await writeFile(path, text, { mode: 0o600 });
}

/**
 * A real kubelet's certificates, signed by the cluster CA: its client certificate
 * (`system:node:<name>` in `system:nodes`, what the Node authorizer and NodeRestriction
 * expect) and its serving certificate for `ip`, which the apiserver verifies.
 */
export async function createNodeCerts(
  pki: Pki,
  name: string,
  ip: string,
): Promise<{ clientCert: string; clientKey: string; servingCert: string; servingKey: string }> {
  const [clientCert, clientKey] = await leaf(pki.dir, pki.caCert, pki.caKey, {
    name: `node-${name}-client`, subject: `/O=system:nodes/CN=system:node:${name}`, usage: ['clientAuth'],
  });
  const [servingCert, servingKey] = await leaf(pki.dir, pki.caCert, pki.caKey, {
    name: `node-${name}-serving`, subject: `/CN=${name}`, usage: ['serverAuth'], dns: [name], ips: [ip],
  });
  return { clientCert, clientKey, servingCert, servingKey };
}
