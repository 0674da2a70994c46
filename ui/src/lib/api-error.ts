import type { ErrorBody } from '@dangus/common';

/** Every failed api call: the HTTP status plus the api's one error shape. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string[]>;

  constructor(status: number, body: ErrorBody['error'], options?: ErrorOptions) {
    super(body.message, options);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.fields = body.fields ?? {};
  }

  /** The endpoint is not there (yet): the UI shows "not available" rather than an error. */
  get isNotFound(): boolean {
    return this.status === 404;
  }
}

/**
 * Reads the api's error shape from a parsed body; anything else (a proxy's HTML
 * page, an empty body) becomes a generic error that still says what happened.
 */
export function toErrorBody(status: number, statusText: string, parsed: unknown): ErrorBody['error'] {
  if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
    const { error } = parsed;
    if (typeof error === 'object' && error !== null && 'message' in error && 'code' in error) {
      const { code, message, fields } = error as Partial<ErrorBody['error']>;
      if (typeof code === 'string' && typeof message === 'string') {
        return { code, message, ...(fields ? { fields } : {}) };
      }
    }
  }
  return {
    code: status === 0 ? 'network_error' : `http_${status}`,
    message:
      status === 0
        ? 'Could not reach the server. Check your connection and try again.'
        : `The server answered ${status}${statusText ? ` ${statusText}` : ''}.`,
  };
}

/** A human sentence for any thrown value, for error banners. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
