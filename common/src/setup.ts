import { z } from 'zod';

/** First-run setup (`/setup?token=…`): what a link is, and claiming it. */
export const setupTokenBodySchema = z.strictObject({
  token: z.string().min(1, 'The setup link has no token.').max(200, 'Not a setup token.'),
});

export const setupStateDtoSchema = z.strictObject({
  /** `ready`: the link can be claimed; the others say why not, in `message`. */
  state: z.enum(['ready', 'used', 'expired', 'replaced', 'unknown', 'done']),
  message: z.string().nullable(),
});
export type SetupStateDto = z.infer<typeof setupStateDtoSchema>;

/** One DNS record to create, and whether it resolves as it should now. */
export const dnsRecordDtoSchema = z.strictObject({
  type: z.enum(['A', 'AAAA', 'CNAME']),
  name: z.string(),
  /** The address or host it points to; null when the platform does not know it (DNS_TARGET unset). */
  value: z.string().nullable(),
  purpose: z.string(),
  resolved: z.array(z.string()),
  ok: z.boolean(),
});

export const dnsStatusDtoSchema = z.strictObject({
  records: z.array(dnsRecordDtoSchema),
  /** Every record resolves as it should. */
  ok: z.boolean(),
});
export type DnsStatusDto = z.infer<typeof dnsStatusDtoSchema>;
