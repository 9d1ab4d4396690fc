/**
 * The typed error a call throws, for tests that check its code and the field it names: an error of
 * another type is rethrown as it is, and a call that throws nothing fails the test.
 */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`);
}
