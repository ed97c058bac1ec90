import { PlatformProblemError } from '../../../sdk/problem.ts';

/** The problem a refused SDK call rejected with; a call that succeeds, or fails otherwise, fails the test. */
export async function refusal(call: Promise<unknown>): Promise<PlatformProblemError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof PlatformProblemError)) throw new Error(`expected a refusal, found ${String(error)}`);
  return error;
}
