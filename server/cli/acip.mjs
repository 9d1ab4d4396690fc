#!/usr/bin/env node
// Entry point of the `acip` API client (package.json "bin"): loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
const { runClient } = await import('./acip-client.ts');
const code = await runClient(process.argv.slice(2), {
  url: process.env.ACIP_URL ?? 'http://127.0.0.1:8080',
  password: process.env.ACIP_HTTP_PASSWORD || undefined,
  fetch,
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
});
process.exit(code);
