// How a support command's Temporal failure becomes an answer: a server that is down or restarting is "unavailable"
// (the route's 503 with Retry-After, retried by the agent or the console), never an unhandled 500.
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createTemporalOrderCommands, OrderCommandError } from '../../src/temporal/order-commands';

/** A gRPC error as @grpc/grpc-js raises it: a code, details and metadata. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

/** A client whose every Update fails with `thrown` (the only call the commands make before mapping an error). */
function clientFailingWith(thrown: unknown): Client {
  const handle = { executeUpdate: () => Promise.reject(thrown), describe: () => Promise.reject(thrown) };
  return { workflow: { getHandle: () => handle } } as unknown as Client;
}

async function refusalOf(thrown: unknown): Promise<unknown> {
  const commands = createTemporalOrderCommands(clientFailingWith(thrown));
  return commands.cancel('ord-0001', { reason: 'customer asked' }).then(
    () => 'answered',
    (err: unknown) => (err instanceof OrderCommandError ? err.refusal : err),
  );
}

describe('support commands while the Temporal server is not answering', () => {
  it.each([
    ['UNAVAILABLE', 14, 'No connection established'],
    ['DEADLINE_EXCEEDED', 4, 'Deadline exceeded'],
    ['RESOURCE_EXHAUSTED', 8, 'namespace rate limit exceeded'],
  ])('%s, raised directly or as the cause of the client error, is "unavailable"', async (_name, code, details) => {
    expect(await refusalOf(grpcError(code, details))).toBe('unavailable');
    expect(await refusalOf(new Error('Failed to update workflow', { cause: grpcError(code, details) }))).toBe('unavailable');
  });

  it('passes any other failure on unchanged (a bug stays a logged 500, not a "retry later")', async () => {
    const invalid = grpcError(3, 'invalid argument');
    expect(await refusalOf(invalid)).toBe(invalid);
    const bug = new TypeError('x is undefined');
    expect(await refusalOf(bug)).toBe(bug);
  });
});
