import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { buildAuthorization, parseChallenge } from '../../../server/sip/grammar/digest.js';
import { Admission, type AdmissionOptions, type AdmissionVerdict } from '../../../server/sip/admission/admission.js';

const URI = 'sip:acip@192.0.2.1';

function request(method: string, extra: string[] = []): SipRequest {
  const text = [
    `${method} ${URI} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-adm',
    'Max-Forwards: 70',
    'From: <sip:studio@192.0.2.7>;tag=f1',
    'To: <sip:acip@192.0.2.1>',
    'Call-ID: adm@test',
    `CSeq: 1 ${method}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

function gate(over: Partial<AdmissionOptions> = {}) {
  const clock = new FakeClock();
  const events: string[] = [];
  const users = new Map([['studio', 'secret-pw']]);
  const a = new Admission({
    clock,
    allowSources: [],
    rateExempt: [],
    rateLimit: { ratePerS: 1, burst: 100, blockMs: 60_000 },
    lockout: { maxFailures: 3, lockoutMs: 300_000 },
    digest: { realm: 'acip', algorithms: ['SHA-256', 'MD5'], nonceLifetimeMs: 60_000 },
    passwordFor: (u) => users.get(u),
    authRequired: () => users.size > 0,
    onSourceBlocked: (s) => events.push(`blocked ${s}`),
    onLockout: (s, u) => events.push(`locked ${s} ${u}`),
    ...over,
  });
  return { a, clock, events, users };
}

const OUT = { inDialog: false, wellFormed: true };
const shape = (v: AdmissionVerdict) => (v.kind === 'reject' ? `${v.kind} ${v.rejection.status} ${v.reason}` : v.kind === 'drop' ? `drop ${v.reason}` : `admit${v.user ? ` ${v.user}` : ''}`);

/** The credentials a client with `password` sends back to the challenge in `v`. */
function answer(v: AdmissionVerdict, password: string, nc = 1, user = 'studio'): string {
  if (v.kind !== 'reject') throw new Error('no challenge');
  const value = v.rejection.extraHeaders!.find(([n]) => n === 'WWW-Authenticate')![1];
  return buildAuthorization({ challenge: parseChallenge(value), method: 'INVITE', uri: URI, username: user, password, nc, cnonce: 'abc' });
}

describe('admission of new requests', () => {
  const rows: [what: string, opts: Partial<AdmissionOptions>, method: string, source: string, scope: { inDialog: boolean; wellFormed: boolean }, expected: string][] = [
    ['an INVITE from an allowed source without credentials is challenged', { allowSources: ['192.0.2.0/24'] }, 'INVITE', '192.0.2.7', OUT, 'reject 401 auth_required'],
    ['an INVITE from outside allowSources is dropped', { allowSources: ['192.0.2.0/24'] }, 'INVITE', '198.51.100.7', OUT, 'drop source'],
    ['an IPv4-mapped source is checked as IPv4', { allowSources: ['192.0.2.0/24'] }, 'INVITE', '::ffff:198.51.100.7', OUT, 'drop source'],
    ['OPTIONS obeys source rules', { allowSources: ['192.0.2.0/24'] }, 'OPTIONS', '198.51.100.7', OUT, 'drop source'],
    ['OPTIONS is never challenged', {}, 'OPTIONS', '192.0.2.7', OUT, 'admit'],
    ['CANCEL is never challenged nor source-checked', { allowSources: ['10.0.0.0/8'] }, 'CANCEL', '192.0.2.7', OUT, 'admit'],
    ['an in-dialog request is not source-checked nor challenged', { allowSources: ['10.0.0.0/8'] }, 'BYE', '192.0.2.7', { inDialog: true, wellFormed: true }, 'admit'],
    ['a REGISTER is challenged like any request that is not OPTIONS', {}, 'REGISTER', '192.0.2.7', OUT, 'reject 401 auth_required'],
    ['a MESSAGE is challenged like an INVITE', {}, 'MESSAGE', '192.0.2.7', OUT, 'reject 401 auth_required'],
    ['a malformed request is left to the core once source and rate allow it', {}, 'INVITE', '192.0.2.7', { inDialog: false, wellFormed: false }, 'admit'],
    ['no credentials configured: no challenge', { authRequired: () => false }, 'INVITE', '192.0.2.7', OUT, 'admit'],
  ];
  it.each(rows)('%s', (_what, opts, method, source, scope, expected) => {
    expect(shape(gate(opts).a.admit(request(method), source, scope))).toBe(expected);
  });

  it('admits the right password and names the user', () => {
    const { a } = gate();
    const challenge = a.admit(request('INVITE'), '192.0.2.7', OUT);
    expect(shape(a.admit(request('INVITE', [`Authorization: ${answer(challenge, 'secret-pw')}`]), '192.0.2.7', OUT))).toBe('admit studio');
  });

  it('gives a wrong password and an unknown user the same 403', () => {
    const { a } = gate();
    const wrong = a.admit(request('INVITE', [`Authorization: ${answer(a.admit(request('INVITE'), '192.0.2.7', OUT), 'bad-password')}`]), '192.0.2.7', OUT);
    const unknown = a.admit(request('INVITE', [`Authorization: ${answer(a.admit(request('INVITE'), '192.0.2.7', OUT), 'secret-pw', 1, 'nobody')}`]), '192.0.2.7', OUT);
    expect(wrong).toEqual(unknown);
    expect(shape(wrong)).toBe('reject 403 auth_failed');
  });

  it('answers an expired nonce with the right password by a stale challenge', () => {
    const { a, clock } = gate();
    const challenge = a.admit(request('INVITE'), '192.0.2.7', OUT);
    clock.advance(60_001);
    const v = a.admit(request('INVITE', [`Authorization: ${answer(challenge, 'secret-pw')}`]), '192.0.2.7', OUT);
    expect(shape(v)).toBe('reject 401 auth_stale');
    expect(v.kind === 'reject' && v.rejection.extraHeaders!.every(([, value]) => value.includes('stale=true'))).toBe(true);
  });

  it('locks a source and user out after the allowed failures, even for the right password', () => {
    const { a, events } = gate();
    const tries = [1, 2, 3].map(() => shape(a.admit(request('INVITE', [`Authorization: ${answer(a.admit(request('INVITE'), '192.0.2.7', OUT), 'bad-password')}`]), '192.0.2.7', OUT)));
    expect(tries).toEqual(['reject 403 auth_failed', 'reject 403 auth_failed', 'reject 403 auth_failed']);
    expect(events).toEqual(['locked 192.0.2.7 studio']);
    const right = a.admit(request('INVITE', [`Authorization: ${answer(a.admit(request('INVITE'), '192.0.2.7', OUT), 'secret-pw')}`]), '192.0.2.7', OUT);
    expect(shape(right)).toBe('reject 403 locked_out');
    const elsewhere = a.admit(request('INVITE', [`Authorization: ${answer(a.admit(request('INVITE'), '192.0.2.8', OUT), 'secret-pw')}`]), '192.0.2.8', OUT);
    expect(shape(elsewhere)).toBe('admit studio');
  });

  it('drops a flooding source after its burst, in or out of a dialog, and reports the block once', () => {
    const { a, events } = gate({ rateLimit: { ratePerS: 1, burst: 2, blockMs: 60_000 }, authRequired: () => false });
    const seen = [1, 2, 3, 4].map(() => shape(a.admit(request('OPTIONS'), '192.0.2.7', OUT)));
    expect(seen).toEqual(['admit', 'admit', 'drop rate', 'drop rate']);
    expect(shape(a.admit(request('BYE'), '192.0.2.7', { inDialog: true, wellFormed: true }))).toBe('drop rate');
    expect(events).toEqual(['blocked 192.0.2.7']);
    expect(a.blockedSources).toBe(1);
    a.close();
  });

  it('does not rate-limit exempt sources', () => {
    const { a } = gate({ rateLimit: { ratePerS: 1, burst: 1, blockMs: 60_000 }, rateExempt: ['127.0.0.0/8'], authRequired: () => false });
    expect([1, 2, 3].map(() => shape(a.admit(request('OPTIONS'), '127.0.0.1', OUT)))).toEqual(['admit', 'admit', 'admit']);
  });
});
