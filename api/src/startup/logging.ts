import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { createLogger } from '../logger.js';

/** LOG_FORMAT, or by default `pretty` for a person at a terminal and `json` for everything else. */
export function logFormatOf(config: Pick<Config, 'logFormat'>, stdoutIsTerminal = process.stdout.isTTY): 'json' | 'pretty' {
  return config.logFormat ?? (stdoutIsTerminal ? 'pretty' : 'json');
}

/**
 * The process's logger: pino's JSON lines (for a log shipper), or one readable line per
 * record through pino-pretty, loaded only then and written synchronously in order with
 * the start-up line. Either way the records are the same, redacted the same.
 */
export async function createProcessLogger(config: Pick<Config, 'logLevel' | 'logFormat'>): Promise<{ logger: Logger; format: 'json' | 'pretty' }> {
  const format = logFormatOf(config);
  if (format === 'json') return { logger: createLogger(config.logLevel), format };
  const { default: pretty } = await import('pino-pretty');
  const stream = pretty({ sync: true, singleLine: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss', colorize: process.stdout.isTTY });
  return { logger: createLogger(config.logLevel, stream), format };
}

/** The start-up line: bare for a person, the message of an `info` record (with its facts) in JSON. */
export function announce(logger: Logger, format: 'json' | 'pretty', summary: { line: string; fields: Record<string, unknown> }): void {
  if (format === 'pretty') process.stdout.write(`${summary.line}\n`);
  else logger.info(summary.fields, summary.line);
}
