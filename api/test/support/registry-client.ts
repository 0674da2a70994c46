// A registry client of the OCI distribution API with the token flow Kaniko, containerd
// and docker follow (github.com/distribution/distribution/docs/content/spec/auth/token.md): a request answered 401 with
// `Bearer realm,service,scope` asks the realm for a token with the credentials (HTTP
// Basic) and is sent again with it. And the real registry binary (distribution, built by
// e2e/cluster/build.sh --node), started on loopback with `auth: token`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The `access` claim of the token the request was sent with, if a token was asked. */
  granted: { type: string; name: string; actions: string[] }[] | null;
  /** The token server's status when it was asked. */
  tokenStatus: number | null;
}

/** One request with the token flow. */
export async function registryRequest(
  url: string,
  init: { method: string; body?: Buffer; headers?: Record<string, string> },
  credentials: Credentials | null,
): Promise<RegistryAnswer> {
  const send = (authorization?: string) =>
    fetch(url, {
      method: init.method,
      headers: { ...init.headers, ...(authorization ? { Authorization: authorization } : {}) },
      ...(init.body ? { body: init.body } : {}),
      redirect: 'manual',
    });
  let res = await send();
  let granted: RegistryAnswer['granted'] = null;
  let tokenStatus: number | null = null;
  const challenge = res.headers.get('www-authenticate') ?? '';
  if (res.status === 401 && challenge.startsWith('Bearer ')) {
    const params = Object.fromEntries([...challenge.slice(7).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const tokenUrl = new URL(params.realm ?? '');
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    if (params.scope) tokenUrl.searchParams.set('scope', params.scope);
    const auth = credentials ? { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` } : undefined;
    const tokenRes = await fetch(tokenUrl, auth ? { headers: auth } : {});
    tokenStatus = tokenRes.status;
    if (tokenRes.ok) {
      const { token } = (await tokenRes.json()) as { token: string };
      granted = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { access: NonNullable<RegistryAnswer['granted']> }).access;
      res = await send(`Bearer ${token}`);
    }
  }
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()), granted, tokenStatus };
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Pushes one blob (monolithic upload). The last failing answer, or null when pushed. */
async function pushBlob(base: string, name: string, bytes: Buffer, credentials: Credentials | null): Promise<RegistryAnswer | null> {
  const start = await registryRequest(`${base}/v2/${name}/blobs/uploads/`, { method: 'POST' }, credentials);
  if (start.status !== 202) return start;
  const location = new URL(start.headers.get('location') ?? '', base);
  location.searchParams.set('digest', sha256(bytes));
  const put = await registryRequest(location.toString(), { method: 'PUT', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } }, credentials);
  return put.status === 201 ? null : put;
}

/**
 * Pushes a small OCI image (a config and one random layer) as `name:tag`, the way a
 * build pushes: blobs, then the manifest. The manifest's answer (201 and its digest), or
 * the first refusal.
 */
export async function pushImage(base: string, name: string, tag: string, credentials: Credentials | null): Promise<RegistryAnswer & { digest: string | null; manifest: Buffer }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = randomBytes(64);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  for (const blob of [config, layer]) {
    const refused = await pushBlob(base, name, blob, credentials);
    if (refused) return { ...refused, digest: null, manifest };
  }
  const put = await registryRequest(`${base}/v2/${name}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } }, credentials);
  return { ...put, digest: put.headers.get('docker-content-digest'), manifest };
}

/** Pulls a manifest, as the kubelet's first request for an image. */
export function pullManifest(base: string, name: string, reference: string, credentials: Credentials | null): Promise<RegistryAnswer> {
  return registryRequest(`${base}/v2/${name}/manifests/${reference}`, { method: 'GET', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } }, credentials);
}

/** The registry binary the real-node tier uses, from the cache build.sh fills. */
export function registryBinary(): string {
  const goMod = readFileSync(fileURLToPath(new URL('../../../e2e/cluster/go.mod', import.meta.url)), 'utf8');
  const version = /^\s*k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod)?.[1] ?? '';
  const path = join(process.env.DANGUS_CACHE_DIR || join(homedir(), '.cache', 'dangus'), 'k8s', version, 'registry');
  if (!existsSync(path)) throw new Error(`no registry binary at ${path}: run bash e2e/cluster/build.sh --node (CI does)`);
  return path;
}

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RunningRegistry {
  url: string;
  stop(): Promise<void>;
}

/** The registry on loopback, trusting the key set `jwks` for tokens of `issuer` for `service` from `realm`. */
export async function startTokenRegistry(opts: { dir: string; port: number; realm: string; service: string; issuer: string; jwks: unknown }): Promise<RunningRegistry> {
  await mkdir(join(opts.dir, 'data'), { recursive: true });
  const jwksFile = join(opts.dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify(opts.jwks));
  const configFile = join(opts.dir, 'config.yml');
  await writeFile(
    configFile,
    JSON.stringify({
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(opts.dir, 'data') }, delete: { enabled: true } },
      http: { addr: `127.0.0.1:${String(opts.port)}`, debug: { addr: '', prometheus: { enabled: false } } },
      auth: { token: { realm: opts.realm, service: opts.service, issuer: opts.issuer, jwks: jwksFile, signingalgorithms: ['ES256'] } },
    }),
  );
  const child: ChildProcess = spawn(registryBinary(), ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${String(opts.port)}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the registry exited: ${stderr}`);
    const status = await fetch(`${url}/v2/`).then((r) => r.status, () => 0);
    if (status === 401) break;
    if (Date.now() > deadline) throw new Error(`the registry did not answer: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
