import { execFileSync } from 'node:child_process';

/**
 * Interop tests need real third-party programs. Locally a missing program skips the test;
 * under CI (`CI=true`) it is a failure, because `.ci/run` promised to install it.
 */
export function hasProgram(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Returns true when the test should run; throws under CI when the program is missing. */
export function requireProgram(name: string): boolean {
  if (hasProgram(name)) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but required program '${name}' is not installed`);
  return false;
}
