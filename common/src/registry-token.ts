import { z } from 'zod';

/**
 * The bundled registry's token server (distribution's token authentication,
 * github.com/distribution/distribution/docs/content/spec/auth/token.md): its answer, the public key set the registry trusts, and
 * the query a client sends.
 */
export const registryTokenQuerySchema = z.object({
  service: z.string().optional(),
  /** `type:name:actions`, repeated or space-separated. */
  scope: z.union([z.string(), z.array(z.string())]).optional(),
  account: z.string().optional(),
  client_id: z.string().optional(),
  offline_token: z.string().optional(),
});

export const registryTokenDtoSchema = z.strictObject({
  token: z.string(),
  access_token: z.string(),
  expires_in: z.number().int(),
  issued_at: z.string(),
});
export type RegistryTokenDto = z.infer<typeof registryTokenDtoSchema>;

export const registryJwksDtoSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      x: z.string(),
      y: z.string(),
      kid: z.string(),
      use: z.literal('sig'),
      alg: z.literal('ES256'),
    }),
  ),
});
