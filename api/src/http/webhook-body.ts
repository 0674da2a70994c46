import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import { PayloadTooLargeError, RequestTimeoutError, ValidationError } from '../errors.js';
import type { SignedBody } from '../use-cases/webhooks.js';
import type { ByteBudget } from './byte-budget.js';

export interface BodyLimits {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Time for the whole body, waiting for the budget included. */
  timeoutMs: number;
  /** Bytes all bodies being read at once may hold. */
  budget: ByteBudget;
}

/**
 * Reads a request body under a size limit, a deadline and a shared memory
 * budget, hashing it as it streams (so the signature check costs no second pass
 * over 25 MB). The declared Content-Length is refused at once when too large;
 * a body without one reserves the whole limit.
 */
export async function readSignedBody(req: Request, secret: string, limits: BodyLimits): Promise<SignedBody> {
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  let release: (() => void) | undefined;
  let kept = false;
  try {
    release = await limits.budget.acquire(declared ?? limits.maxBytes, deadline).catch((error: unknown) => {
      throw deadline.aborted ? timedOut(limits.timeoutMs) : error;
    });
    const hmac = createHmac('sha256', secret);
    const chunks: Buffer[] = [];
    let length = 0;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        cleanup();
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        length += chunk.length;
        if (length > limits.maxBytes) {
          fail(tooLarge(limits.maxBytes));
          return;
        }
        hmac.update(chunk);
        chunks.push(chunk);
      };
      const onEnd = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => fail(timedOut(limits.timeoutMs));
      // A 4xx, not an error of ours: anyone can hang up, and must not fill the error log doing so.
      const onClose = () => fail(new ValidationError('The client closed the connection before the body was sent.'));
      const cleanup = () => {
        req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', fail);
        deadline.removeEventListener('abort', onAbort);
        req.pause();
      };
      if (deadline.aborted) {
        onAbort();
        return;
      }
      deadline.addEventListener('abort', onAbort, { once: true });
      req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', fail);
      req.resume();
    });
    // The bytes stay in memory until the answer is sent: so does their share of the budget.
    const response = req.res;
    if (response && !response.writableFinished) {
      response.once('close', release);
      kept = true;
    }
    return { hmac: hmac.digest(), length, bytes: () => Buffer.concat(chunks, length) };
  } finally {
    if (!kept) release?.();
  }
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes.`);
}

function timedOut(timeoutMs: number): RequestTimeoutError {
  return new RequestTimeoutError(`The request body did not arrive within ${Math.round(timeoutMs / 1000)} s.`);
}
