/**
 * A service caught mid-shift, for contract tests: links in every kind of state (connected with full
 * statistics, an inbound call waiting for an answer, a permanent link redialling after a failure, an
 * ended call), a registration, raised and cleared alarms, phonebook entries probed and not, and
 * answered and failed calls in the history.
 */
import type { LinkSnapshot, Alarm, RegistrationStatus } from '../../server/links/link-types.js';
import type { TestApp } from './memory-links.js';

const base = {
  permanent: false, input: 'alsa:hw:0', output: 'alsa:hw:0', durationS: 0, redials: 0, codec: null, mediaDirection: null, rx: null, tx: null,
  rttMs: null, meters: null, ebuacip: null, localSdp: null, remoteSdp: null, endReason: null,
} satisfies Partial<LinkSnapshot>;

export interface SeededIds {
  connected: string;
  offered: string;
  failed: string;
  ended: string;
  studio: string;
  outsideBroadcast: string;
  alarm: string;
}

export function seedRealisticState(t: TestApp): SeededIds {
  const studio = t.phonebook.create({ name: 'Studio 2', uri: 'sip:studio2@192.0.2.10', profile: 'opus-music-128k', notes: 'Desk B, ext 214' });
  const ob = t.phonebook.create({ name: 'OB van', uri: 'sips:ob@ob.example.net', probe: false });
  t.links.reach.set(studio.id, { reachable: false, rttMs: null, status: 503, checkedAt: '2026-12-07T03:00:05.000Z' });
  t.links.reach.set(ob.id, { reachable: null, rttMs: null, status: null, checkedAt: null });

  const connected: LinkSnapshot = {
    ...base,
    id: 'lc', state: 'connected', direction: 'outbound', remote: 'sip:studio2@192.0.2.10', remoteName: 'Studio 2', phonebookId: studio.id,
    profile: 'opus-music-128k', permanent: true, createdAt: '2026-12-07T03:00:00.000Z', connectedAt: '2026-12-07T03:00:01.250Z', durationS: 3599.5,
    redials: 1,
    codec: { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20, payloadType: 111, params: { bitrate: 128000, stereo: true, useinbandfec: 1, application: 'audio' } },
    mediaDirection: 'sendrecv',
    rx: {
      packets: 179_975, lost: 12, late: 3, duplicates: 1, reordered: 2, lossPct: 0.01, concealedMs: 240, concealedPct: 0.007, jitterMs: 1.7,
      bufferMs: 62.5, targetBufferMs: 60, driftPpm: -3.2, underruns: 0, malformed: 0, foreignSource: 0,
    },
    tx: { packets: 179_980, bitrateKbps: 129.6, remoteLossPct: 0.02, remoteJitterMs: 2.1 },
    rttMs: 14.2,
    meters: { input: { peak: [-12.5, -Infinity], rms: [-18, null], clips: 0 }, output: { peak: [-9.1, -9.4], rms: [-15.2, -15.6], clips: 2 } },
    ebuacip: { applied: { mode: 'adaptive', minMs: 40, maxMs: 200, source: 'peer' }, theirs: ['jbdef:0 adaptive 40-200'], ours: ['jbdef:0 fixed 60'] },
    localSdp: 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n',
    remoteSdp: 'v=0\r\no=- 2 2 IN IP4 192.0.2.10\r\ns=-\r\n',
  };
  const offered: LinkSnapshot = {
    ...base,
    id: 'lo', state: 'offered', direction: 'inbound', remote: 'sip:ob@ob.example.net', remoteName: 'OB van', profile: 'g722-voice', createdAt: '2026-12-07T03:59:58.000Z',
  };
  const failed: LinkSnapshot = {
    ...base,
    id: 'lf', state: 'redialling', direction: 'outbound', remote: 'sip:far@203.0.113.7', profile: 'ebu-3326-interop', permanent: true,
    createdAt: '2026-12-07T02:00:00.000Z', redials: 3, endReason: { by: 'network', sipStatus: 408, reason: 'Request Timeout' },
  };
  const ended: LinkSnapshot = {
    ...base,
    id: 'le', state: 'ended', direction: 'inbound', remote: 'sip:caller@198.51.100.3', profile: 'g711-telephone', createdAt: '2026-12-07T01:00:00.000Z',
    connectedAt: '2026-12-07T01:00:02.000Z', durationS: 61, mediaDirection: 'inactive', endReason: { by: 'remote', reason: 'BYE' },
    ebuacip: { applied: { mode: 'fixed', delayMs: 80, source: 'profile' }, theirs: [], ours: ['jbdef:0 fixed 80'] },
  };
  for (const l of [connected, offered, failed, ended]) t.links.put(l);

  const registration: RegistrationStatus = {
    state: 'registered', aor: 'sip:studio1@example.net', registrar: 'sip:example.net', expiresAt: '2026-12-07T05:00:00.000Z',
  };
  t.links.registrationStatus = registration;
  const alarms: Alarm[] = [
    { id: 'a2', kind: 'silence', linkId: 'lc', message: 'input silent for 10 s on Studio 2', raisedAt: '2026-12-07T03:50:00.000Z', acknowledged: false },
    {
      id: 'a1', kind: 'registration-lost', message: 'registration lost: 503 Service Unavailable', raisedAt: '2026-12-07T02:10:00.000Z',
      clearedAt: '2026-12-07T02:10:31.000Z', acknowledged: true,
    },
  ];
  t.links.alarmList.push(...alarms);

  t.history.add({
    id: 'c1', linkId: 'lx', direction: 'outbound', remote: 'sip:studio2@192.0.2.10', remoteName: 'Studio 2', phonebookId: studio.id, profile: 'opus-music-128k',
    startedAt: '2026-12-07T00:00:00.000Z', answeredAt: '2026-12-07T00:00:01.100Z', endedAt: '2026-12-07T00:30:00.000Z', answerDelayMs: 1100,
    durationS: 1798.9, answered: true, endReason: { by: 'local', reason: 'hang-up' }, codec: { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20 },
    quality: { lossPct: 0.02, concealedPct: 0.01, maxJitterMs: 4.5, meanBufferMs: 61, maxBufferMs: 90, rttMs: 15, redials: 0 },
  });
  t.history.add({
    id: 'c2', linkId: 'ly', direction: 'outbound', remote: 'sip:studio2@192.0.2.10', phonebookId: studio.id, startedAt: '2026-12-07T00:40:00.000Z',
    endedAt: '2026-12-07T00:40:32.000Z', durationS: 0, answered: false, endReason: { by: 'remote', sipStatus: 486, reason: 'Busy Here' },
    quality: { lossPct: null, concealedPct: null, maxJitterMs: null, meanBufferMs: null, maxBufferMs: null, rttMs: null, redials: 0 },
  });

  return { connected: 'lc', offered: 'lo', failed: 'lf', ended: 'le', studio: studio.id, outsideBroadcast: ob.id, alarm: 'a2' };
}
