import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/rtp/', import.meta.url));

/** Load a `.hex` fixture: `#` lines are provenance comments, the rest is hex (whitespace ignored). */
export function loadHex(name: string): Buffer {
  const text = readFileSync(dir + name, 'utf8');
  const hex = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`fixture ${name} is not hex`);
  return Buffer.from(hex, 'hex');
}
