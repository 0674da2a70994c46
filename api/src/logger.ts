import { pino, type Logger } from 'pino';

/** Paths that may carry a secret: pino replaces them before anything is written (docs/architecture.md#security-model). */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
  '*.accessToken',
  '*.access_token',
  '*.githubAccessToken',
  '*.webhookSecret',
  '*.password',
  '*.value',
  '*.token',
  '*.secret',
  'config.sessionSecret',
  'config.encryption',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
