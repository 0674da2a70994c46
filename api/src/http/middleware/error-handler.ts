import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ErrorBody } from '@dangus/common';
import { AppError, NoClusterError, NotFoundError, TooManyRequestsError } from '../../errors.js';

/** The one place errors become HTTP answers (docs/architecture.md#code-conventions). Only 5xx are logged (not `no_cluster`). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let status = 500;
    let body: ErrorBody = { error: { code: 'internal', message: 'Something went wrong on our side; it has been logged.' } };
    if (error instanceof AppError) {
      status = error.status;
      body = { error: { code: error.code, message: error.message } };
      if ('fields' in error && error.fields && Object.keys(error.fields).length > 0) {
        body.error.fields = error.fields as Record<string, string[]>;
      }
    } else if (isBodyParserError(error)) {
      status = error.status;
      body = { error: bodyParserAnswer(error) };
    }
    // A missing cluster is a state the answer explains, not a failure: no stack trace for it.
    if (status >= 500 && !(error instanceof NoClusterError)) logger.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    if (res.headersSent) return;
    if (error instanceof TooManyRequestsError && error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
    res.status(status).json(body);
  };
}

/** body-parser's 4xx by its `type`: the raw parser (webhooks) fails for reasons other than JSON syntax. */
function bodyParserAnswer(error: { type: string; limit?: number }): ErrorBody['error'] {
  switch (error.type) {
    case 'entity.too.large':
      return { code: 'payload_too_large', message: `The request body is larger than ${error.limit ?? 0} bytes.` };
    case 'encoding.unsupported':
      return { code: 'unsupported_media_type', message: 'Send the request body uncompressed (no Content-Encoding).' };
    case 'charset.unsupported':
      return { code: 'unsupported_media_type', message: 'Send the request body as UTF-8.' };
    case 'entity.parse.failed':
      return { code: 'bad_request', message: 'The request body is not valid JSON.' };
    default:
      return { code: 'bad_request', message: 'The request body could not be read.' };
  }
}

function isBodyParserError(error: unknown): error is { status: number; type: string; limit?: number } {
  return (
    typeof error === 'object' &&
    error !== null &&
    'type' in error &&
    'status' in error &&
    typeof (error as { status: unknown }).status === 'number' &&
    (error as { status: number }).status < 500
  );
}

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError('Route'));
