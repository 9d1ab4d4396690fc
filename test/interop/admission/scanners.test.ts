/**
 * The scanners real SIP ports meet (sipvicious: svwar enumerates extensions, svcrack guesses
 * passwords), against an acip that requires digest authentication: svwar finds no extension, since
 * every user gets the same challenge, and svcrack is locked out after `authLockout.maxFailures`
 * tries, so even the right password, later in its dictionary, is refused. Bounded in count and time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { freePort, runProgram } from '../../helpers/sip-peer-process.js';
import { startLtAcip, type LtAcip } from '../links/harness.js';
import { metricValue } from './probe.js';

const HAVE_SIPVICIOUS = requireProgram('svwar') && requireProgram('svcrack');
const USER = '100';
const PASSWORD = 'Right-Password-7';
const MAX_FAILURES = 10;

describe.runIf(HAVE_SIPVICIOUS)('sipvicious against an authenticated acip', () => {
  let acip: LtAcip;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acip-scanners-'));
    // svcrack only computes MD5, and reads the first challenge: offer MD5 first.
    acip = await startLtAcip({
      config: `links:\n  inboundAuth:\n    users: [{ user: '${USER}', password: ${PASSWORD} }]\n    algorithms: [MD5, SHA-256]\n  authLockout: { maxFailures: ${MAX_FAILURES}, lockoutS: 600 }\n`,
    });
  }, 120_000);
  afterAll(async () => {
    await acip?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const metrics = async () => (await fetch(`${acip.httpUrl}/metrics`)).text();

  it.each(['REGISTER', 'INVITE', 'OPTIONS'])('svwar with %s finds no extension', async (method) => {
    // Each run on its own local port: acip retransmits its 401s to INVITEs svwar never ACKs (RFC 3261
    // §17.2.1), and a later run on the same port would read them as answers to its own requests.
    const local = String(await freePort());
    const r = await runProgram('svwar', ['-m', method, '-e', '95-110', '-P', local, '-p', String(acip.sipPort), '--maximumtime', '5', '127.0.0.1'], 60_000);
    expect(r.timedOut, r.stdout + r.stderr).toBe(false);
    const out = r.stdout + r.stderr;
    expect(out, out).not.toMatch(/\|\s*100\s*\|/);
    expect(out, out).not.toMatch(/\|\s*(reqauth|weird|noauth)\s*\|/i);
    expect((await acip.api('GET', '/api/links')).body.links).toEqual([]);
  }, 70_000);

  it(`svcrack is locked out after ${MAX_FAILURES} wrong passwords, so the right one later is refused too`, async () => {
    const words = Array.from({ length: 20 }, (_, i) => `wrong-${i}`);
    words.splice(14, 0, PASSWORD);
    const dict = join(dir, 'dict.txt');
    writeFileSync(dict, `${words.join('\n')}\n`);
    const r = await runProgram('svcrack', ['-u', USER, '-d', dict, '-P', String(await freePort()), '-p', String(acip.sipPort), '--maximumtime', '5', '127.0.0.1'], 60_000);
    const out = r.stdout + r.stderr;
    expect(r.timedOut, out).toBe(false);
    expect(out, out).not.toContain(PASSWORD);
    const text = await metrics();
    expect(metricValue(text, 'acip_sip_rejected_total{reason="auth_failed"}')).toBe(MAX_FAILURES);
    expect(metricValue(text, 'acip_sip_rejected_total{reason="locked_out"}')).toBe(words.length - MAX_FAILURES);
    expect(acip.logs.some((l) => /locked out/.test(String(l.msg)))).toBe(true);
  }, 70_000);
});
