import { pino, type DestinationStream, type Logger } from 'pino';

/** Paths that may carry a secret: pino replaces them before anything is written (docs/architecture.md#security-model). */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
  '*.accessToken',
  '*.access_token',
  '*.refreshToken',
  '*.refresh_token',
  '*.refresh.refreshToken',
  '*.githubAccessToken',
  '*.webhookSecret',
  '*.password',
  '*.value',
  '*.token',
  '*.secret',
  'config.sessionSecret',
  'config.encryption',
];

/** A logger writing JSON lines to stdout, or to `destination` (startup/logging.ts's readable lines). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
