/**
 * The DNS side of a custom domain (issue 34): the TXT record that proves ownership, and the
 * A/AAAA/CNAME that must point at the platform before a certificate is asked for. Through
 * `node:dns`'s Resolver, pointed at the operator's servers (DOMAIN_DNS_SERVERS; the system's
 * otherwise), one try with a timeout each: a slow or absent answer is `timeout`, never a hang.
 */
import { Resolver } from 'node:dns/promises';
import type { DomainCheckDto } from '@dangus/common';
import { challengeRecordName } from '@dangus/common';

export interface DnsSettings {
  /** `ip` or `ip:port` (`[ipv6]:port`) of each server asked; empty: the system's resolvers. */
  servers: readonly string[];
  timeoutMs: number;
}

export type TxtOutcome = Omit<DomainCheckDto, 'at'>;

/** At most this many values are kept of what was found (a record set may be large). */
const KEPT_VALUES = 10;

function resolverFor(settings: DnsSettings): Resolver {
  const resolver = new Resolver({ timeout: settings.timeoutMs, tries: 1 });
  if (settings.servers.length > 0) resolver.setServers([...settings.servers]);
  return resolver;
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/** Looks up `_dangus-challenge.{domain}` and says whether it holds `token`, and what it holds. */
export async function checkTxt(settings: DnsSettings, domain: string, token: string): Promise<TxtOutcome> {
  const name = challengeRecordName(domain);
  let records: string[][];
  try {
    records = await resolverFor(settings).resolveTxt(name);
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOTFOUND') {
      return { outcome: 'nxdomain', found: [], message: `${name} does not exist (NXDOMAIN): create a TXT record there holding the value shown.` };
    }
    if (code === 'ENODATA') {
      return { outcome: 'no_record', found: [], message: `${name} has no TXT record yet: create one holding the value shown.` };
    }
    if (code === 'ETIMEOUT' || code === 'ECONNREFUSED') {
      return { outcome: 'timeout', found: [], message: `The DNS servers did not answer for ${name} in time: the platform will look again.` };
    }
    return { outcome: 'error', found: [], message: `Looking up ${name} failed (${code || 'unknown error'}): the platform will look again.` };
  }
  // A TXT record may be split in strings of 255 bytes: each record is their concatenation.
  const values = records.map((parts) => parts.join(''));
  if (values.includes(token)) return { outcome: 'found', found: [token], message: `${name} holds the token: the domain is yours.` };
  const found = values.slice(0, KEPT_VALUES).map((value) => (value.length > 200 ? `${value.slice(0, 200)}…` : value));
  return {
    outcome: 'wrong_value',
    found,
    message: `${name} holds ${found.map((v) => JSON.stringify(v)).join(', ')}, not the token: set the TXT value to the one shown.`,
  };
}

export interface PointsAt {
  ok: boolean;
  message: string;
  /** The addresses the domain resolves to (A and AAAA), for the HTTP check. */
  addresses: string[];
}

/**
 * Whether the domain points at the platform: a CNAME to the platform's host (or any name under
 * BASE_DOMAIN), or A/AAAA records among the ingress addresses the operator names.
 */
export async function checkPointsAt(
  settings: DnsSettings,
  domain: string,
  platform: { baseDomain: string; ingressAddresses: readonly string[] },
): Promise<PointsAt> {
  const resolver = resolverFor(settings);
  const base = platform.baseDomain.toLowerCase();
  const cname = await resolver.resolveCname(domain).catch(() => [] as string[]);
  const target = cname[0]?.toLowerCase().replace(/\.$/, '');
  const v4 = await resolver.resolve4(domain).catch(() => [] as string[]);
  const v6 = await resolver.resolve6(domain).catch(() => [] as string[]);
  const addresses = [...v4, ...v6];
  if (target !== undefined && (target === base || target.endsWith(`.${base}`))) {
    return { ok: true, message: `${domain} is a CNAME to ${target}.`, addresses };
  }
  if (addresses.length === 0) {
    return { ok: false, message: `${domain} has no A, AAAA or CNAME record: point it at the platform (see the service's domains panel).`, addresses };
  }
  const foreign = addresses.filter((address) => !platform.ingressAddresses.includes(address));
  if (foreign.length > 0) {
    const expected = platform.ingressAddresses.length ? platform.ingressAddresses.join(', ') : `a CNAME to a name under ${base}`;
    return { ok: false, message: `${domain} points at ${foreign.join(', ')}, not at the platform (${expected}).`, addresses };
  }
  return { ok: true, message: `${domain} points at ${addresses.join(', ')}.`, addresses };
}
