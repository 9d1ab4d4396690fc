import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (server/ lives directly under it). */
export const ROOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export const VERSION: string = (JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as { version: string }).version;
