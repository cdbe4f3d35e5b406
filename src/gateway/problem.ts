// RFC 9457 problem details: the one error shape of the HTTP API (contract §3), with one errors[] entry per bad field.
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A deliberate HTTP failure: thrown by handlers and hooks, rendered by the central error handler. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly slug: string,
    detail: string,
    readonly errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export function problemBody(status: number, slug: string, detail: string, errors: FieldError[] = []): ProblemBody {
  return { type: `https://oms.example/problems/${slug}`, title: TITLES[status] ?? 'Error', status, detail, errors };
}
