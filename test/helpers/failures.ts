// Assertion helper shared by unit tests: the ApplicationFailure a promise rejects with (and that it rejects at all).
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';

export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
