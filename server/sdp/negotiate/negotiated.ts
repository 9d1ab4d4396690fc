/**
 * Stage 3 of negotiation: the negotiated stream as one plain value, from the choice, what we send,
 * and what we asked to receive. Both sides (answering an offer, applying an answer) end here.
 */
import type { CodecParams } from '../../codecs/codec.js';
import { encoderParams } from '../codec-match.js';
import { jbdefToSettings, type EbuAcipSet } from '../ebuacip.js';
import type { Direction } from '../sdp-model.js';
import type { LocalSession, NegotiatedMedia } from '../session-types.js';
import type { Choice, SendPlan } from './choose.js';

const SENDS: Readonly<Record<Direction, boolean>> = { sendrecv: true, sendonly: true, recvonly: false, inactive: false };
const RECEIVES: Readonly<Record<Direction, boolean>> = { sendrecv: true, sendonly: false, recvonly: true, inactive: false };

export function directionOf(sends: boolean, receives: boolean): Direction {
  return sends ? (receives ? 'sendrecv' : 'sendonly') : receives ? 'recvonly' : 'inactive';
}

function usableAddress(a: string | undefined): a is string {
  // RFC 3264 §8.4: c=0.0.0.0 is the old way of putting a stream on hold.
  return a !== undefined && a !== '0.0.0.0' && a !== '::' && a !== '';
}

/** What we asked to receive: the packet time, our a=ebuacip set and our fmtp. */
export interface OurSide {
  recvPtimeMs: number;
  ebuacip: EbuAcipSet;
  fmtp: string | undefined;
}

export function negotiatedMedia(c: Choice, send: SendPlan, local: LocalSession, ours: OurSide): NegotiatedMedia {
  const rec = c.rc.record;
  const peer = c.peer;
  const notes = [...peer.notes, ...send.notes];
  const base: CodecParams = { ...c.rc.params, sampleRate: c.link.sampleRate, channels: c.link.channels };
  const codecParams = encoderParams(c.rc, c.link, send.fmtp, send.sendPtimeMs, peer.bandwidth.tiasBps);
  const decoderParams: CodecParams = { ...base, ptimeMs: ours.recvPtimeMs };

  // RFC 3264 §6.1: what each side does follows from both directions.
  const addressOk = usableAddress(peer.address);
  if (!addressOk) notes.push('peer connection address is 0.0.0.0 (hold, RFC 3264 §8.4): not sending');
  const localSends = SENDS[local.direction] && RECEIVES[peer.direction] && addressOk;
  const localReceives = RECEIVES[local.direction] && SENDS[peer.direction];

  const jbdef = local.profile.acceptPeerJbdef ? peer.jbdef : undefined;
  const jitterBuffer: NegotiatedMedia['jitterBuffer'] = jbdef ? { ...jbdefToSettings(jbdef), source: 'peer' } : { ...local.profile.jitterBuffer, source: 'profile' };

  return {
    codecId: rec.id,
    encodingName: c.format.encodingName ?? rec.encodingName,
    payloadType: c.format.payloadType,
    rtpClockRate: rec.rtpClockRate({ sampleRate: c.link.sampleRate }),
    audioSampleRate: c.link.sampleRate,
    channels: c.link.channels,
    ptimeMs: send.sendPtimeMs,
    codecParams,
    decoderParams,
    remote: { ...peer.remote },
    direction: directionOf(localSends, localReceives),
    localSends,
    localReceives,
    jitterBuffer,
    ebuacip: { ours: ours.ebuacip, theirs: peer.ebuacip },
    fmtp: { ...(ours.fmtp !== undefined ? { ours: ours.fmtp } : {}), ...(c.format.fmtp !== undefined ? { theirs: c.format.fmtp } : {}) },
    peerBandwidth: { ...peer.bandwidth },
    notes,
  };
}
