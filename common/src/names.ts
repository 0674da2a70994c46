/**
 * Naming rules of docs/architecture.md#names: user hashes, project namespaces and service
 * subdomains are Kubernetes names, so their limits are the Kubernetes ones.
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

/** Six characters of `[a-z0-9]`, random per user (docs/architecture.md#names). */
export const USER_HASH_PATTERN = /^[a-z0-9]{6}$/;

/**
 * The one rule for project and service names: a DNS-1035 label (a letter first,
 * then letters and digits) whose hyphens come one at a time. Every system a name
 * reaches accepts it then: Kubernetes (namespaces, Services), DNS (subdomains),
 * the OCI distribution grammar (image repositories) and Harbor, whose project
 * names (`dangus-{namespace}`) allow one separator between alphanumerics only
 * (HARBOR_PROJECT_PATTERN). `a--b` and punycode-like `xn--x` are refused.
 */
const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Project names: they become namespaces and Harbor projects (see NAME_PATTERN). */
export const PROJECT_NAME_PATTERN = NAME_PATTERN;

/** Service names: they become Service objects, subdomains and image repositories. */
export const SERVICE_NAME_PATTERN = NAME_PATTERN;

/** What Harbor accepts as a project name (its API's own rule). */
export const HARBOR_PROJECT_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Harbor's limit for a project name. */
export const HARBOR_PROJECT_MAX = 255;

/**
 * One path component of an image repository, as the OCI distribution spec's
 * grammar has it: alphanumerics joined by `.`, `_`, `__` or any run of `-`.
 */
export const OCI_PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';

/** Kubernetes' limit for a DNS label: namespaces, Service names, subdomain labels. */
export const DNS_LABEL_MAX = 63;

/**
 * `{hash}-` costs seven characters of the 63 a namespace may have; a service name has the
 * same limit, which keeps its objects' names (`{service}-data`, `{service}-env`) in 63 too.
 */
export const NAME_MAX = DNS_LABEL_MAX - 7;

/** The namespace of a project: `{hash}-{project}`. */
export function namespaceFor(userHash: string, projectName: string): string {
  return `${userHash}-${projectName}`;
}

/** Hex digits of the digest that stands for the cut parts of a long host. */
const HOST_DIGEST_LENGTH = 10;

/**
 * The public host label of a new service (docs/architecture.md#names), stored on its row
 * at creation: `{hash}-{project}--{service}`, the project's namespace and the service
 * name joined by `--`, which no name may contain. It is one DNS label (a wildcard
 * certificate covers one level), and injective: the first `--` splits it back into the
 * namespace (itself `{hash}-{project}`, the hash six characters) and the service. A host
 * of the first scheme, `{hash}-{service}`, has no `--`, so no new host equals an old one.
 *
 * When the whole is over 63 characters, both names are cut (21 characters each, a part
 * the other does not need going to the longer one) and a digest of the whole is added:
 * `{hash}-{project…}--{service…}--{digest}`. It has two `--`, so it equals no full host,
 * and two cut hosts are equal only if their 40-bit digests are: only one user's own hosts
 * can meet that way (every host starts with its owner's hash), and the unique index on the
 * stored host refuses the second rather than share an address.
 */
export function serviceHostFor(userHash: string, projectName: string, serviceName: string): string {
  const full = `${namespaceFor(userHash, projectName)}--${serviceName}`;
  if (full.length <= DNS_LABEL_MAX) return full;
  const digest = bytesToHex(sha256(utf8ToBytes(full))).slice(0, HOST_DIGEST_LENGTH);
  // `{hash}-` + `--` + `--` + digest: what is left for the two names.
  const room = DNS_LABEL_MAX - (userHash.length + 1) - 4 - HOST_DIGEST_LENGTH;
  const half = Math.floor(room / 2);
  const projectRoom = Math.max(half, room - serviceName.length);
  const serviceRoom = room - Math.min(projectRoom, projectName.length);
  return `${userHash}-${cut(projectName, projectRoom)}--${cut(serviceName, serviceRoom)}--${digest}`;
}

/** The first `length` characters of a name, without a trailing hyphen. */
function cut(name: string, length: number): string {
  return name.slice(0, length).replace(/-+$/, '');
}

/**
 * A service name suggested from a repository's name (`My_App.web` → `my-app-web`): lowercase,
 * every other character run becomes one `-`, a letter first (`2048` → `app-2048`), at most
 * NAME_MAX characters, and not one of `taken` (then `-2`, `-3`, …). Always SERVICE_NAME_PATTERN.
 */
export function suggestServiceName(repositoryName: string, taken: readonly string[] = []): string {
  const words = repositoryName
    .toLowerCase()
    .replace(/\.git$/, '')
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  let base = words.join('-') || 'app';
  if (!/^[a-z]/.test(base)) base = `app-${base}`;
  const fit = (name: string, suffix: string) => `${name.slice(0, NAME_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
  const used = new Set(taken);
  for (let n = 1; ; n += 1) {
    const name = fit(base, n === 1 ? '' : `-${String(n)}`);
    if (!used.has(name)) return name;
  }
}

/** Internal address shown in the service discovery panel. */
export function internalAddressFor(serviceName: string, port: number): string {
  return `http://${serviceName}:${port}`;
}

/**
 * Whether `ref` is a branch name git accepts (the rules of
 * `git check-ref-format --branch`), so that a webhook's `refs/heads/{branch}`
 * can be compared exactly and a build context can be pinned to it.
 */
export function isValidBranchName(ref: string): boolean {
  if (ref.length === 0 || ref.length > 255) return false;
  if (ref === '@' || ref.startsWith('-')) return false;
  // Control characters, space and the characters git reserves for revision syntax.
  if (/[\p{Cc} ~^:?*[\\]/u.test(ref)) return false;
  if (ref.includes('..') || ref.includes('@{') || ref.includes('//')) return false;
  if (ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.')) return false;
  return ref.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}
