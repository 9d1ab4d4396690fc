/**
 * A link on its own, wired to the fakes: a fake user agent plays the far end, a fake media opener
 * plays the media engine, and the fake clock runs every timer. Shared by the link tests.
 */
import { expect } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { Link, type LinkDeps, type LinkInit } from '../../server/links/link.js';
import type { LinkState } from '../../server/links/link-state.js';
import type { CallRecord } from '../../server/store/call-history.js';
import { FakeIncomingCall, FakeMediaOpener, FakeUa, RecordingLog, flush, peerAnswer, peerOffer, profile } from './fakes.js';

export const AGENT = 'studio-b';
export const OUR_ADDRESS = '198.51.100.1';
export const REMOTE = 'sip:studio@192.0.2.7';
/** random() = 0.5 puts the ±20 % jitter at zero: the delays are the plain doubling. */
export const BACKOFF = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2, random: () => 0.5 };

export function setup(init: Partial<LinkInit> = {}, overrides: Partial<LinkDeps> = {}) {
  const clock = new FakeClock();
  const ua = new FakeUa(AGENT);
  const media = new FakeMediaOpener();
  const log = new RecordingLog();
  const records: CallRecord[] = [];
  const states: LinkState[] = [];
  const mediaEvents: string[] = [];
  const mediaDetails: Record<string, unknown>[] = [];
  const deps: LinkDeps = {
    ua,
    clock,
    log,
    mediaAddressFor: () => OUR_ADDRESS,
    mediaBindHost: '0.0.0.0',
    portRange: { min: 6000, max: 6999 },
    noMediaTimeoutMs: 5000,
    ringTimeoutMs: 60_000,
    inactivityTimeoutMs: 30_000,
    backoff: BACKOFF,
    silence: { thresholdDbfs: -60, durationMs: 10_000 },
    onChange: (l) => {
      if (states[states.length - 1] !== l.state) states.push(l.state);
    },
    onCallRecord: (r) => records.push(r),
    onMediaEvent: (_l, event, detail) => {
      mediaEvents.push(event);
      mediaDetails.push(detail);
    },
    openMedia: media.open,
    ...overrides,
  };
  const link = new Link(deps, {
    direction: 'outbound',
    remote: REMOTE,
    profile: profile('ebu-3326-interop'),
    input: 'tone',
    output: 'null',
    permanent: false,
    ...init,
  });
  return { clock, ua, media, log, records, states, mediaEvents, mediaDetails, link, deps };
}

export type Env = ReturnType<typeof setup>;

/** Dial and let the far end answer with `peerProfile`; the link ends up connected. */
export async function connectOutbound(env: Env, peerProfile = 'ebu-3326-interop'): Promise<void> {
  env.link.dial();
  await flush();
  const call = env.ua.lastInvite;
  call.progress(180, 'Ringing');
  call.answer(peerAnswer(call.offer, peerProfile));
  await flush();
  expect(env.link.state).toBe('connected');
}

/** An inbound call from a peer offering `peerProfile`, auto-answered. */
export async function connectInbound(env: Env, peerProfile = 'ebu-3326-interop'): Promise<FakeIncomingCall> {
  const call = new FakeIncomingCall(peerOffer(peerProfile));
  await env.link.acceptIncoming(call, true);
  await flush();
  expect(env.link.state).toBe('connected');
  return call;
}

export const inbound = { direction: 'inbound' as const, remote: 'sip:studio@192.0.2.7' };
