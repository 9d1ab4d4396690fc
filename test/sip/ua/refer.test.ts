import { describe, expect, it } from 'vitest';
import { checkReferTo, matchReplaces, referNotify, type ReplaceableDialog } from '../../../server/sip/ua/refer.js';
import { parseReplaces } from '../../../server/sip/grammar/refer-headers.js';
import { parseSubscriptionState, parseEvent } from '../../../server/sip/grammar/event-headers.js';
import { sipfragStatus } from '../../../server/sip/grammar/sipfrag.js';

describe('checking a REFER (RFC 3515 §2.4.1)', () => {
  const rows: [string, string[], Record<string, unknown>][] = [
    ['a SIP target', ['<sip:studio2@192.0.2.10>'], { ok: true }],
    ['a SIPS target', ['<sips:studio2@example.org>'], { ok: true }],
    ['no Refer-To', [], { ok: false, status: 400, reason: 'Missing Refer-To header' }],
    ['two Refer-To headers', ['<sip:a@b>', '<sip:c@d>'], { ok: false, status: 400, reason: 'More than one Refer-To header' }],
    ['a tel: target', ['<tel:+4930123456>'], { ok: false, status: 400, reason: 'Refer-To must be a SIP or SIPS URI' }],
    ['an http: target', ['<http://example.org/>'], { ok: false, status: 400, reason: 'Refer-To must be a SIP or SIPS URI' }],
    ['garbage', ['<sip:a@b'], { ok: false, status: 400 }],
    ['a Replaces without tags', ['<sip:a@b?Replaces=abc%40host>'], { ok: false, status: 400 }],
  ];
  it.each(rows)('answers %s', (_name, values, want) => {
    expect(checkReferTo(values)).toMatchObject(want);
  });

  it('reads the Replaces carried in the Refer-To URI (RFC 3891 §7.1)', () => {
    const r = checkReferTo(['<sip:dave@192.0.2.4?Replaces=12345%40192.0.2.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>']);
    expect(r).toMatchObject({ ok: true, replaces: { callId: '12345@192.0.2.3', toTag: '12345', fromTag: '5FFE-3994' } });
  });
});

describe('REFER progress NOTIFYs (RFC 3515 §2.4.4–2.4.7)', () => {
  const rows: [number, string | undefined, string, boolean][] = [
    [100, undefined, 'SIP/2.0 100 Trying\r\n', false],
    [180, 'Ringing', 'SIP/2.0 180 Ringing\r\n', false],
    [200, undefined, 'SIP/2.0 200 OK\r\n', true],
    [486, 'Busy Here', 'SIP/2.0 486 Busy Here\r\n', true],
    [503, 'Service Unavailable', 'SIP/2.0 503 Service Unavailable\r\n', true],
  ];
  it.each(rows)('reports %d as a sipfrag', (status, reason, body, terminal) => {
    const n = referNotify(7, status, reason, 60);
    expect(n.body).toBe(body);
    expect(n.contentType).toBe('message/sipfrag;version=2.0');
    expect(n.terminal).toBe(terminal);
    expect(parseEvent(n.event)).toMatchObject({ package: 'refer', id: '7' });
    expect(sipfragStatus(n.body).status).toBe(status);
    const ss = parseSubscriptionState(n.subscriptionState);
    expect(ss.state).toBe(terminal ? 'terminated' : 'active');
    if (terminal) expect(ss.reason).toBe('noresource');
    else expect(ss.expires).toBe(60);
  });
});

describe('matching Replaces to a dialog (RFC 3891 §3)', () => {
  const dialogs: (ReplaceableDialog & { name: string })[] = [
    { name: 'confirmed', callId: 'c1@h', localTag: 'L1', remoteTag: 'R1', phase: 'confirmed', locallyInitiated: true },
    { name: 'our early', callId: 'c2@h', localTag: 'L2', remoteTag: 'R2', phase: 'early', locallyInitiated: true },
    { name: 'their early', callId: 'c3@h', localTag: 'L3', remoteTag: 'R3', phase: 'early', locallyInitiated: false },
    { name: 'ended', callId: 'c4@h', localTag: 'L4', remoteTag: 'R4', phase: 'terminated', locallyInitiated: true },
  ];
  const rows: [string, string, string | number][] = [
    ['the confirmed dialog, to-tag = local tag', 'c1@h;to-tag=L1;from-tag=R1', 'confirmed'],
    ['nothing when the tags are swapped', 'c1@h;to-tag=R1;from-tag=L1', 481],
    ['nothing for an unknown Call-ID', 'zz@h;to-tag=L1;from-tag=R1', 481],
    ['486 for early-only against a confirmed dialog', 'c1@h;to-tag=L1;from-tag=R1;early-only', 486],
    ['an early dialog this UA initiated', 'c2@h;to-tag=L2;from-tag=R2;early-only', 'our early'],
    ['481 for an early dialog it did not initiate', 'c3@h;to-tag=L3;from-tag=R3', 481],
    ['603 for a dialog that already ended', 'c4@h;to-tag=L4;from-tag=R4', 603],
  ];
  it.each(rows)('finds %s', (_name, header, want) => {
    const m = matchReplaces(parseReplaces(header), dialogs);
    if (typeof want === 'string') expect(m).toMatchObject({ ok: true, dialog: { name: want } });
    else expect(m).toMatchObject({ ok: false, status: want });
  });
});
