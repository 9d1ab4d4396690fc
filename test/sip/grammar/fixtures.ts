/** Paths and loaders for the grammar tests' fixtures (test/fixtures/rfc4475, test/fixtures/sip). */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const RFC4475_DIR = fileURLToPath(new URL('../../fixtures/rfc4475/', import.meta.url));
export const SIP_DIR = fileURLToPath(new URL('../../fixtures/sip/', import.meta.url));

export interface Expected {
  kind: 'request' | 'response';
  grammar: 'accept' | 'drop' | number;
  ua: 'any' | 'drop' | number;
  stream: 'ok' | 'close' | 'stall';
  note: string;
}

export function rfc4475Files(): string[] {
  return readdirSync(RFC4475_DIR).filter((f) => f.endsWith('.dat')).sort();
}

export function rfc4475(name: string): Buffer {
  return readFileSync(join(RFC4475_DIR, name));
}

export function rfc4475Expected(): Record<string, Expected> {
  return JSON.parse(readFileSync(join(RFC4475_DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;
}

export function capture(name: string): Buffer {
  return readFileSync(join(SIP_DIR, name));
}

export const CAPTURES = ['sipp-invite.sip', 'baresip-invite.sip', 'baresip-200-ok.sip', 'baresip-register-auth.sip'];
