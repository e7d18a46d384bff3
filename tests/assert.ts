/**
 * The few assertions the tests need, on top of `node:assert/strict` (Deno's std is not
 * installable here).
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Fails with `message` unless `condition` holds. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  nodeAssert.ok(condition, message);
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** |actual − expected| ≤ tolerance. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-7,
  message?: string,
): void {
  nodeAssert.ok(
    Math.abs(actual - expected) <= tolerance,
    message ?? `expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

/** `fn` throws an instance of `type` whose message contains `includes`. */
export function assertThrows(
  fn: () => unknown,
  type: new (...args: never[]) => Error = Error,
  includes = "",
): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  nodeAssert.ok(caught instanceof type, `expected ${type.name} to be thrown, got ${caught}`);
  nodeAssert.ok(
    (caught as Error).message.includes(includes),
    `expected the message to include "${includes}", got "${(caught as Error).message}"`,
  );
  return caught as Error;
}

/** The promise rejects with an instance of `type` whose message contains `includes`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => Error = Error,
  includes = "",
): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  nodeAssert.ok(caught instanceof type, `expected ${type.name} to be rejected, got ${caught}`);
  nodeAssert.ok(
    (caught as Error).message.includes(includes),
    `expected the message to include "${includes}", got "${(caught as Error).message}"`,
  );
  return caught as Error;
}
