import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { DnsStatusDto } from '@dangus/common';

/**
 * The DNS records an installed platform needs (its own host and the wildcard of
 * BASE_DOMAIN, where every service gets its address), pointed at DNS_TARGET (the
 * ingress's public address or host name), and whether they resolve that way now.
 */
export async function dnsStatus(settings: { publicUrl: string; baseDomain: string; target: string | null }, resolve: (name: string) => Promise<string[]> = resolveAll): Promise<DnsStatusDto> {
  const type = settings.target === null ? 'A' : isIP(settings.target) === 6 ? 'AAAA' : isIP(settings.target) === 4 ? 'A' : 'CNAME';
  const expected = settings.target === null ? [] : type === 'CNAME' ? await resolve(settings.target) : [settings.target];
  const platformHost = new URL(settings.publicUrl).hostname;
  const wanted = [
    { name: `*.${settings.baseDomain}`, probe: `dangus-check-${randomBytes(4).toString('hex')}.${settings.baseDomain}`, purpose: "every service's address" },
    ...(platformHost.endsWith(`.${settings.baseDomain}`) && platformHost.split('.').length === settings.baseDomain.split('.').length + 1
      ? [] // the wildcard covers it
      : [{ name: platformHost, probe: platformHost, purpose: 'the platform itself (sign-in, API, webhooks)' }]),
  ];
  const records = await Promise.all(
    wanted.map(async (record) => {
      const resolved = await resolve(record.probe);
      const ok = resolved.length > 0 && (expected.length === 0 || resolved.some((address) => expected.includes(address)));
      return { type, name: record.name, value: settings.target, purpose: record.purpose, resolved, ok } as const;
    }),
  );
  return { records, ok: records.every((r) => r.ok) };
}

async function resolveAll(name: string): Promise<string[]> {
  // RFC 6761: localhost and its subdomains are loopback, never asked of a DNS server.
  if (name === 'localhost' || name.endsWith('.localhost')) return ['127.0.0.1'];
  try {
    return (await lookup(name, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}
