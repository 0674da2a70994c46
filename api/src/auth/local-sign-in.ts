import type { IncomingHttpHeaders } from 'node:http';

/** GitHub ids start at 1: id 0 is the embedded default's local user. */
export const LOCAL_GITHUB_ID = '0';

/**
 * Whether a user row is a GitHub account with a token of its own. GitHub's ids are
 * positive; the rows without a GitHub account have none: the local user (0), the
 * first-run setup's admin before it signs in with GitHub (-1), and teams' accounts
 * (negative). Their repositories are read anonymously or through the GitHub App.
 */
export function isGitHubAccount(githubId: string): boolean {
  return Number(githubId) > 0;
}

/** Headers a proxy, tunnel or CDN in front of the platform adds (lower-cased); any `x-forwarded-*` too. */
const PROXY_HEADERS = new Set(['forwarded', 'via', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip']);

/** `localhost`, `127.0.0.1` or `[::1]`, with an optional port. */
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Why a local sign-in (no password, an admin) is refused, or null (pure). Only a
 * browser on the platform's own machine may use it: from a loopback address,
 * addressed to a loopback host, and with no header a proxy or tunnel adds; a
 * tunnel to this machine would otherwise hand anyone the admin.
 */
export function localSignInRefusal(remoteAddress: string | undefined, headers: IncomingHttpHeaders): string | null {
  const only = "The local sign-in is only for a browser on the platform's own machine";
  if (remoteAddress === undefined || !LOOPBACK_ADDRESSES.has(remoteAddress)) return `${only}: this request came from another address.`;
  const proxyHeader = Object.keys(headers).find((name) => PROXY_HEADERS.has(name) || name.startsWith('x-forwarded-'));
  if (proxyHeader !== undefined) return `${only}, not through a proxy or tunnel: this request carries ${proxyHeader}.`;
  const host = headers.host ?? '';
  if (!LOOPBACK_HOST.test(host)) return `${only}, addressed as localhost, 127.0.0.1 or [::1]: this request was addressed to "${host.slice(0, 100)}".`;
  return null;
}
