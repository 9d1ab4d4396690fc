/**
 * What a link snapshot (the body of `GET /api/links`, the live feed and every scrape) shows of a
 * negotiation is built once per negotiation and shared by every snapshot taken under it.
 */
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../server/links/link-record.js';
import { answerOffer } from '../../server/sdp/offer-answer.js';
import type { NegotiatedMedia } from '../../server/sdp/offer-answer.js';
import { peerOffer, profile } from '../links/fakes.js';

function negotiate(profileName: string): NegotiatedMedia {
  const res = answerOffer(peerOffer(profileName), { profile: profile(profileName), localAddress: '198.51.100.1', rtpPort: 6000 });
  if (!res.ok) throw new Error(res.reason);
  return res.negotiated;
}

function snapshotUnder(negotiated: NegotiatedMedia) {
  return buildSnapshot({
    facts: { id: 'l1', direction: 'inbound', remote: 'sip:peer@192.0.2.7', remoteName: undefined, phonebookId: undefined, profileName: 'p', redials: 0 },
    state: 'connected', permanent: false, input: 'tone', output: 'null', createdAtWall: 0,
    times: { startMono: 0, startWall: 0, answerMono: 10, answerWall: 10 }, nowMono: 1000, negotiated, signalling: 'clear', stats: undefined,
    localSdp: undefined, remoteSdp: undefined, endReason: null,
  });
}

describe('the negotiation shown in a snapshot', () => {
  it('is one frozen object for every snapshot under the same negotiation', () => {
    const n = negotiate('opus-music-128k');
    const a = snapshotUnder(n);
    const b = snapshotUnder(n);
    expect(b.codec).toBe(a.codec);
    expect(b.ebuacip).toBe(a.ebuacip);
    expect(a.codec).toMatchObject({ name: 'opus', clockRate: 48000, channels: 2 });
    expect(Object.isFrozen(a.codec) && Object.isFrozen(a.codec!.params) && Object.isFrozen(a.ebuacip!.ours)).toBe(true);
    // A consumer that tries to change it is told so instead of changing every other snapshot.
    expect(() => ((a.codec as { name: string }).name = 'pcma')).toThrow(TypeError);
  });

  it('is built anew for a new negotiation (a re-INVITE)', () => {
    const first = snapshotUnder(negotiate('opus-music-128k'));
    const second = snapshotUnder(negotiate('g722-voice'));
    expect(second.codec).not.toBe(first.codec);
    expect(second.codec?.name.toLowerCase()).toBe('g722');
  });
});
