/**
 * Typed errors thrown by use cases. One Express middleware (http/middleware/
 * error-handler.ts) maps them to the API's single JSON error shape; anything
 * else is a 500 and is logged.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly code = 'validation_failed';
  constructor(
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code = 'unauthorized';
  constructor(message = 'Sign in first.') {
    super(message);
  }
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code: string;
  constructor(message: string, code = 'forbidden') {
    super(message);
    this.code = code;
  }
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'not_found';
  constructor(what: string) {
    super(`${what} not found.`);
  }
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly code = 'conflict';
  constructor(
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

/** No GitHub App is configured or connected, so what needs one cannot happen: 409 with `no_github_app`. */
export class NoGitHubAppError extends AppError {
  readonly status = 409;
  readonly code = 'no_github_app';
  constructor(message = 'No GitHub App is connected: an admin connects one on the System page (System → GitHub).') {
    super(message);
  }
}

export class RequestTimeoutError extends AppError {
  readonly status = 408;
  readonly code = 'request_timeout';
}

/** A limit per user (projects, services, env vars) is reached: 409 with what to do. */
export class LimitReachedError extends AppError {
  readonly status = 409;
  readonly code = 'limit_reached';
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly code = 'too_many_requests';
  constructor(
    message: string,
    /** When to try again, sent as the Retry-After header. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor(message = 'The request body is too large.') {
    super(message);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

/** A failure of a system the API depends on (GitHub, the state repo): 502. */
export class UpstreamError extends AppError {
  readonly status = 502;
  readonly code = 'upstream_failed';
}

/**
 * The platform reaches no Kubernetes cluster, so what was asked for cannot happen: 503
 * with `no_cluster`. An expected state of a laptop install, not a failure: never logged.
 */
export class NoClusterError extends AppError {
  readonly status = 503;
  readonly code = 'no_cluster';
}
