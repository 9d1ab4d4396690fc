/** A fixed panel state and recording actions, for rendering the views in node. */
import type { PhonebookEntry, ProfileSummary } from '../../web/src/model/api-types.js';
import { initialPanelState, type PanelActions, type PanelState } from '../../web/src/ui/panel-state.js';

/** An admin's panel, live, with nothing loaded yet; `over` replaces whole fields. */
export function panelState(over: Partial<PanelState> = {}): PanelState {
  return { ...initialPanelState(), nowMs: 10_000, liveState: 'open', role: 'admin', ...over };
}

export interface ActionCall {
  name: keyof PanelActions;
  args: unknown[];
}

/** Actions that only record what a view asked for. */
export function recordingActions(): { actions: PanelActions; calls: ActionCall[] } {
  const calls: ActionCall[] = [];
  const actions = new Proxy({} as PanelActions, {
    get:
      (_t, name) =>
      (...args: unknown[]) => {
        calls.push({ name: name as keyof PanelActions, args });
        if (name === 'login') return Promise.resolve(true);
        if (name === 'cancelHangup') return false;
        return undefined;
      },
  });
  return { actions, calls };
}

export const PROFILES: ProfileSummary[] = [
  {
    name: 'opus-stereo-music',
    title: 'Opus stereo music',
    description: 'Music contribution over the public internet.',
    ptimeMs: 20,
    jitterBuffer: { mode: 'adaptive', minMs: 40, maxMs: 200 },
    acceptPeerJbdef: true,
    direction: 'sendrecv',
    codecs: [
      { codec: 'opus', sampleRate: 48000, channels: 2, bitrate: 128000, fec: true },
      { codec: 'G722', ptimeMs: 20 },
    ],
  },
  {
    name: 'l24-studio',
    title: 'Linear 24-bit studio',
    ptimeMs: 5,
    jitterBuffer: { mode: 'fixed', delayMs: 20 },
    acceptPeerJbdef: false,
    direction: 'recvonly',
    codecs: [{ codec: 'L24', sampleRate: 48000, channels: 2 }],
  },
];

export function phonebookRow(over: Partial<PhonebookEntry> = {}): PhonebookEntry {
  return {
    id: 'p1',
    name: 'Studio B',
    uri: 'sip:b@studio-b.example',
    profile: 'opus-stereo-music',
    notes: 'Back-up line',
    probe: true,
    reachability: { reachable: true, rttMs: 12.4, status: 200, checkedAt: '2024-05-01T10:00:00Z' },
    asr: { attempts: 4, answered: 3, asr: 0.75 },
    createdAt: '2024-05-01T09:00:00Z',
    updatedAt: '2024-05-01T09:00:00Z',
    ...over,
  };
}
