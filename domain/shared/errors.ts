/**
 * Domain errors carry a machine-readable code and no transport knowledge. The HTTP layer maps them
 * to status codes in one table (functions/_shared/http.ts); workflows map them to States errors.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  /** Safe to show to the caller: never contains secrets or internals. */
  readonly details: Record<string, unknown> | undefined;
  constructor(message: string, details?: Record<string, unknown>) {
    super(message);
    this.details = details;
  }
}

export interface FieldIssue {
  /** Dotted path of the failing field, e.g. `data.amount.currency`. */
  readonly field: string;
  readonly reason: string;
}

/** Input that breaks a schema or a business rule; names every failing field. */
export class ValidationError extends DomainError {
  readonly code = 'ValidationError';
  override readonly name = 'ValidationError';
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[]) {
    const first = issues[0];
    super(first ? `${first.field}: ${first.reason}` : 'invalid input', { issues });
    this.issues = issues;
  }
  static field(field: string, reason: string): ValidationError {
    return new ValidationError([{ field, reason }]);
  }
}

/** The body is not JSON at all. */
export class MalformedBodyError extends DomainError {
  readonly code = 'MalformedBody';
  override readonly name = 'MalformedBodyError';
}

/** A webhook whose signature is missing, malformed, forged or outside the replay window. */
export class SignatureError extends DomainError {
  readonly code = 'InvalidSignature';
  override readonly name = 'SignatureError';
}

export class UnauthorizedError extends DomainError {
  readonly code = 'Unauthorized';
  override readonly name = 'UnauthorizedError';
}

/** Input over a size limit; names the field and the limit where one field is to blame. */
export class PayloadTooLargeError extends DomainError {
  readonly code = 'PayloadTooLarge';
  override readonly name = 'PayloadTooLargeError';
  readonly issues: readonly FieldIssue[];
  constructor(message: string, issues: readonly FieldIssue[] = []) {
    super(message, issues.length ? { issues } : undefined);
    this.issues = issues;
  }
  static field(field: string, reason: string): PayloadTooLargeError {
    return new PayloadTooLargeError(`${field}: ${reason}`, [{ field, reason }]);
  }
}

/** A request body that is not JSON by its Content-Type. */
export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'UnsupportedMediaType';
  override readonly name = 'UnsupportedMediaTypeError';
}

export class NotFoundError extends DomainError {
  readonly code = 'NotFound';
  override readonly name = 'NotFoundError';
}

export class ConflictError extends DomainError {
  readonly code = 'Conflict';
  override readonly name = 'ConflictError';
}

/** The same delivery is being processed right now by another request; the sender should retry. */
export class DeliveryInProgressError extends DomainError {
  readonly code = 'DeliveryInProgress';
  override readonly name = 'DeliveryInProgressError';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Too many requests for one caller's allowance; the caller should retry after the given seconds. */
export class RateLimitedError extends DomainError {
  readonly code = 'RateLimited';
  override readonly name = 'RateLimitedError';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
