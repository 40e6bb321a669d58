/** One invalid field of a request, by JSON path (e.g. `egress[2].ports[0]`). */
export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 7807 problem as the daemon sends it (`application/problem+json`). */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
}

/**
 * An error the daemon answered with, or a failure to reach it. `message` is the problem's detail: a sentence a
 * person can act on.
 */
export class HiveError extends Error {
  /** HTTP status; 0 when the daemon was not reached. */
  readonly status: number;
  readonly title?: string;
  /** Same as `message`. */
  readonly detail: string;
  /** The problem type URI, when the daemon gave one. */
  readonly type?: string;
  /** Field errors of a validation failure; empty otherwise. */
  readonly errors: FieldError[];

  constructor(message: string, init: { status?: number; title?: string; type?: string; errors?: FieldError[]; cause?: unknown } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status ?? 0;
    this.title = init.title;
    this.detail = message;
    this.type = init.type;
    this.errors = init.errors ?? [];
  }

  /** The typed error for an HTTP status and its problem body. */
  static fromProblem(status: number, problem: ProblemDetails | undefined, fallback?: string): HiveError {
    const detail = problem?.detail || problem?.title || fallback || `The daemon answered HTTP ${status}.`;
    const init = {
      status,
      title: problem?.title,
      type: problem?.type,
      errors: Array.isArray(problem?.errors) ? problem!.errors.map((e) => ({ path: String(e.path), message: String(e.message) })) : [],
    };
    switch (status) {
      case 404: return new NotFoundError(detail, init);
      case 409: return new ConflictError(detail, init);
      case 400:
      case 422: return new ValidationError(detail, init);
      case 401:
      case 403: return new AuthError(detail, init);
      case 502:
      case 503:
      case 504: return new UnavailableError(detail, init);
      default: return new HiveError(detail, init);
    }
  }
}

/** 404: the sandbox, file or other resource does not exist. */
export class NotFoundError extends HiveError {}

/** 409: the request conflicts with the current state (e.g. another config apply is running). */
export class ConflictError extends HiveError {}

/** 400 or 422: the request is invalid (422: it changes an immutable field); see `errors` for the JSON paths. */
export class ValidationError extends HiveError {}

/** 401 or 403: no token, a wrong token, or not allowed. */
export class AuthError extends HiveError {}

/** The daemon could not be reached (not running, wrong address, connection lost), or a gateway said 502-504. */
export class UnavailableError extends HiveError {}
