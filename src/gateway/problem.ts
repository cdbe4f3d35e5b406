// RFC 9457 problem details: the one error shape of the HTTP API (contract §3), with one errors[] entry per bad field.
import { z } from 'zod';

export const FieldError = z.object({ field: z.string(), message: z.string() });
export type FieldError = z.infer<typeof FieldError>;

/** The body of every error response; routes declare it per status so /docs shows it. */
export const ProblemBody = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(FieldError),
});
export type ProblemBody = z.infer<typeof ProblemBody>;

/** The problem responses of a route, by status, for its schema. */
export function problems<const S extends number>(...statuses: S[]): Record<S, typeof ProblemBody> {
  return Object.fromEntries(statuses.map((s) => [s, ProblemBody])) as Record<S, typeof ProblemBody>;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
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
