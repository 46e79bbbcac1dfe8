// The tiny harness of the CLI test scripts: named checks (sync or async), a summary line
// `N passed, N failed`, and the exit code.
const results = [];

export async function check(name, fn) {
  try {
    await fn();
    results.push(true);
    console.log(`✓ ${name}`);
  } catch (err) {
    results.push(false);
    console.log(`✗ ${name}\n  ${err.message}`);
  }
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Prints the summary and returns the exit code. */
export function summary() {
  const passed = results.filter(Boolean).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  return passed === results.length ? 0 : 1;
}
