/**
 * Custom domains (issue 34): the rule of what a domain may be, and the shapes the api
 * answers. The rule is pure and shared, so the UI can say what the api will say.
 *
 * A domain is normalized first (trimmed, lowercase, one trailing dot dropped, an IDN
 * turned into its punycode form by WHATWG's domain-to-ASCII, `node:url`'s
 * `domainToASCII`, handed in so this module stays free of Node), then checked: a
 * hostname of at least two labels, each 1–63 letters, digits or inner hyphens, 253 at
 * most in all; not an IP address, not `localhost`, not the platform's own host nor
 * anything at or under BASE_DOMAIN, no wildcard; and an IDN whose labels mix
 * scripts, or are Cyrillic or Greek letters that all look Latin, is refused as a
 * look-alike (the rule browsers use to show punycode instead).
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { z } from 'zod';

export const MAX_DOMAINS_PER_SERVICE = 5;
/** Why an `expired` domain no longer routes nor holds its name, for its owner. */
export const DOMAIN_EXPIRED_MESSAGE =
  'Not verified within 72 hours: the claim was released and anyone may add this name now. Add it again to restart the checks.';
/** The TXT record's name is this label before the domain. */
export const DOMAIN_CHALLENGE_LABEL = '_dangus-challenge';

export const createDomainSchema = z.strictObject({
  domain: z.string().max(1024, 'At most 253 characters.'),
});

/** `expired`: not verified within the 72 hours of checks; the name is released (DOMAIN_EXPIRED_MESSAGE). */
export const domainStatusSchema = z.enum(['pending', 'verified', 'expired']);
export type DomainStatus = z.infer<typeof domainStatusSchema>;

const timestamp = z.iso.datetime({ offset: true });

export const domainCheckDtoSchema = z.strictObject({
  at: timestamp,
  outcome: z.enum(['found', 'wrong_value', 'no_record', 'nxdomain', 'timeout', 'error']),
  found: z.array(z.string()).describe('The TXT values found at the record\'s name (at most 10).'),
  message: z.string().describe('What was found, in plain words, and what to do.'),
});
export type DomainCheckDto = z.infer<typeof domainCheckDtoSchema>;

export const certificateStateDtoSchema = z.strictObject({
  state: z.enum(['none', 'waiting', 'issuing', 'ready', 'failed', 'unknown']),
  message: z.string().describe('In plain words: what cert-manager says of it.'),
  notAfter: timestamp.nullable().describe('When the certificate expires, once issued.'),
});
export type CertificateStateDto = z.infer<typeof certificateStateDtoSchema>;

export const customDomainDtoSchema = z.strictObject({
  id: z.uuid(),
  domain: z.string().describe('As stored: lowercase, punycode for an IDN, no trailing dot.'),
  status: domainStatusSchema,
  txtRecord: z.strictObject({
    name: z.string().describe('`_dangus-challenge.{domain}`'),
    value: z.string().describe('The per-domain token to put in the TXT record.'),
  }),
  lastCheck: domainCheckDtoSchema.nullable(),
  nextCheckAt: timestamp.nullable().describe('When the platform looks again by itself (a backoff for 72 hours after the domain was added); null once verified or after that.'),
  verifiedAt: timestamp.nullable(),
  routing: z
    .strictObject({
      ok: z.boolean(),
      message: z.string(),
      at: timestamp,
    })
    .nullable()
    .describe('Whether the domain\'s A/AAAA/CNAME points at the platform and HTTP reaches it: checked before a certificate is asked for.'),
  certificate: certificateStateDtoSchema,
  createdAt: timestamp,
});
export type CustomDomainDto = z.infer<typeof customDomainDtoSchema>;

export interface DomainRuleContext {
  /** The platform's base domain: nothing at or under it can be claimed. */
  baseDomain: string;
  /** Hosts of the platform itself (its public URL's), refused as they are. */
  platformHosts: readonly string[];
  /** WHATWG domain to ASCII (`node:url` `domainToASCII`, `url.hostname` in a browser): '' when invalid. */
  toAscii: (domain: string) => string;
  /** Its inverse, for the look-alike check of a label written in punycode. */
  toUnicode: (domain: string) => string;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Latin letters that Cyrillic and Greek letters imitate: a label of only these is a look-alike. */
const CONFUSABLE = /^[аасеһіјклмнорѕтухуԁԛԝӏαβεικνορτυχ\d-]+$/u;

function scriptsOf(label: string): Set<string> {
  const scripts = new Set<string>();
  for (const char of label) {
    if (/[\d-]/.test(char)) continue;
    if (/\p{Script=Latin}/u.test(char)) scripts.add('Latin');
    else if (/\p{Script=Cyrillic}/u.test(char)) scripts.add('Cyrillic');
    else if (/\p{Script=Greek}/u.test(char)) scripts.add('Greek');
    else if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(char)) scripts.add('Japanese/Chinese');
    else if (/\p{Script=Hangul}/u.test(char)) scripts.add('Hangul');
    else if (/\p{L}/u.test(char)) scripts.add('other');
    else scripts.add('symbol');
  }
  return scripts;
}

/** Why an IDN label is a look-alike, or null. */
function lookAlike(unicodeLabel: string, asciiTld: boolean): string | null {
  if (!/\P{ASCII}/u.test(unicodeLabel)) return null;
  const scripts = scriptsOf(unicodeLabel);
  if (scripts.has('symbol')) return `"${unicodeLabel}" holds characters that are not letters or digits.`;
  const alphabetic = [...scripts].filter((s) => s !== 'Japanese/Chinese' && s !== 'Hangul');
  if (alphabetic.length > 1 || (alphabetic.length === 1 && scripts.size > 1 && !scripts.has('Latin'))) {
    return `"${unicodeLabel}" mixes ${[...scripts].join(' and ')} letters, which is how look-alike domains are made.`;
  }
  if (asciiTld && (scripts.has('Cyrillic') || scripts.has('Greek')) && CONFUSABLE.test(unicodeLabel)) {
    return `"${unicodeLabel}" is written only with letters that look Latin, which is how look-alike domains are made.`;
  }
  return null;
}

/**
 * The domain as stored, or why it cannot be claimed (one sentence). Pure: the
 * platform-wide uniqueness is the database's.
 */
export function normalizeDomain(input: string, rules: DomainRuleContext): { domain: string } | { error: string } {
  const raw = input.trim();
  if (raw === '') return { error: 'Enter a domain, such as blog.example.org.' };
  if (/\s/.test(raw)) return { error: 'A domain has no spaces.' };
  if (raw.includes('*')) return { error: 'Wildcard domains cannot be added: add each name on its own.' };
  if (raw.includes('/') || raw.includes(':') || raw.includes('@')) {
    return { error: 'Enter the domain alone, without a scheme, port or path: blog.example.org.' };
  }
  if (raw.includes('..') || raw.startsWith('.')) return { error: 'A domain has no empty label ("..").' };
  const noDot = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (noDot.length > 253 * 4) return { error: 'At most 253 characters.' };
  const lower = noDot.toLowerCase();
  if (IPV4.test(lower) || lower.startsWith('[')) return { error: 'An IP address cannot be a custom domain: use a name.' };
  const ascii = rules.toAscii(lower);
  if (ascii === '' || ascii.includes('%')) return { error: `"${raw}" is not a valid domain name.` };
  if (ascii.length > 253) return { error: 'At most 253 characters.' };
  const labels = ascii.split('.');
  if (labels.length < 2) {
    return { error: ascii === 'localhost' ? 'localhost cannot be a custom domain.' : 'Enter a full domain name, such as blog.example.org.' };
  }
  for (const label of labels) {
    if (label.length > 63) return { error: `The label "${label.slice(0, 20)}…" is longer than 63 characters.` };
    if (!LABEL.test(label)) return { error: `The label "${label}" may hold only letters, digits and inner hyphens.` };
  }
  if (IPV4.test(ascii) || /^\d+$/.test(labels[labels.length - 1] ?? '')) return { error: 'An IP address cannot be a custom domain: use a name.' };
  if (labels[labels.length - 1] === 'localhost') return { error: 'localhost cannot be a custom domain.' };
  const base = rules.baseDomain.toLowerCase().replace(/\.$/, '');
  if (ascii === base || ascii.endsWith(`.${base}`)) {
    return { error: `Names under ${base} are the platform's own: every service already has one.` };
  }
  if (rules.platformHosts.some((host) => host.toLowerCase() === ascii)) return { error: 'That is the platform\'s own host.' };
  const asciiTld = /^[a-z]+$/.test(labels[labels.length - 1] ?? '');
  for (const label of labels) {
    if (!label.startsWith('xn--')) continue;
    const unicode = rules.toUnicode(label);
    if (unicode === '' || unicode === label) return { error: `The label "${label}" is not valid punycode.` };
    const why = lookAlike(unicode, asciiTld);
    if (why) return { error: why };
  }
  return { domain: ascii };
}

/** The TXT record proving ownership of `domain`. */
export function challengeRecordName(domain: string): string {
  return `${DOMAIN_CHALLENGE_LABEL}.${domain}`;
}

/**
 * The name of a custom domain's objects (Ingress, Certificate, the redirect; its Secret adds
 * `-tls`): `domain-{16 hex digits of the domain's SHA-256}`, a DNS label whatever the domain
 * and the service (a domain is unique on the platform).
 */
export function customDomainObjectName(domain: string): string {
  return `domain-${bytesToHex(sha256(utf8ToBytes(domain))).slice(0, 16)}`;
}

/** A certificate an admin should look at (System page): failing, or expiring within 14 days. */
export const certificateAttentionDtoSchema = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  hosts: z.array(z.string()),
  certificate: certificateStateDtoSchema,
  why: z.enum(['failing', 'expiring']),
});
export type CertificateAttentionDto = z.infer<typeof certificateAttentionDtoSchema>;
