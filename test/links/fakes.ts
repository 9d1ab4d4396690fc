/**
 * Fakes for the ports a link depends on: the SIP side (`CallPort`, `LinkManagerUa` and the calls
 * they hand out) and the media side (`MediaSessionOpener` and its sessions). Each fake records what
 * the link did (responses sent, BYEs, CANCELs, media updates) and lets a test play the far end or
 * the media engine (answer, hang up, re-INVITE, lose the worker). Offers and answers are real SDP,
 * built with the real offer/answer code, so the link negotiates exactly as it does on the wire.
 */
import { fileURLToPath } from 'node:url';
import { TypedEmitter } from '../../server/util/typed-emitter.js';
import type { CallEndInfo, CallEvents, ReinviteOffer, ReinviteResult } from '../../server/sip/ua/call.js';
import type { RegisterOptions, RegistrationEvents } from '../../server/sip/ua/registration.js';
import type { CallPort, DialOptions, LinkIncomingCall, LinkManagerUa, LinkOutgoingCall, LinkRegistration } from '../../server/links/call-port.js';
import type { MediaSessionLike, MediaSessionOpener } from '../../server/media/worker/media-session-like.js';
import type { MediaSessionEvents, MediaSessionParams, MediaSessionStats } from '../../server/media/session-types.js';
import type { SipRequest } from '../../server/sip/grammar/message.js';
import { loadProfiles } from '../../server/config/load-profiles.js';
import type { Profile } from '../../server/config/profile-schema.js';
import { codecRegistry } from '../../server/codecs/registry.js';
import { answerOffer, buildOffer } from '../../server/sdp/offer-answer.js';
import type { LinkLogger } from '../../server/links/link-logger.js';
import type { DialogIdentity } from '../../server/sip/ua/dialog-call.js';

// ---- profiles and SDP -------------------------------------------------------------------------

const root = fileURLToPath(new URL('../../', import.meta.url));
const shipped = loadProfiles([`${root}profiles`], new Set(codecRegistry.all().map((c) => c.id)));
if (shipped.errors.length > 0) throw new Error(`shipped profiles failed to load: ${JSON.stringify(shipped.errors)}`);

export const profiles: ReadonlyMap<string, Profile> = new Map([...shipped.profiles].map(([name, p]) => [name, withoutSource(p)]));

function withoutSource(p: Profile & { source?: unknown }): Profile {
  const { source: _source, ...rest } = p;
  return structuredClone(rest);
}

export function profile(name: string): Profile {
  const p = profiles.get(name);
  if (!p) throw new Error(`no shipped profile ${name}`);
  return structuredClone(p);
}

/** The far end's address in every SDP these fakes write (TEST-NET-1). */
export const PEER_ADDRESS = '192.0.2.7';

/** An offer from the far end, as a peer running `profileName` would send it. */
export function peerOffer(profileName: string, rtpPort = 4000): string {
  return buildOffer({ profile: profile(profileName), localAddress: PEER_ADDRESS, rtpPort }).sdp;
}

/** The far end's answer to our offer, as a peer running `profileName` would answer it. */
export function peerAnswer(ourOffer: string, profileName: string, rtpPort = 4000): string {
  const res = answerOffer(ourOffer, { profile: profile(profileName), localAddress: PEER_ADDRESS, rtpPort });
  if (!res.ok) throw new Error(`the fake peer cannot answer: ${res.reason}`);
  return res.sdp;
}

// ---- SIP side --------------------------------------------------------------------------------

export interface SentResponse {
  status: number;
  reason: string | undefined;
  headers: [string, string][];
}

/** A header's value in a response, by case-insensitive name. */
export function header(res: SentResponse | undefined, name: string): string | undefined {
  return res?.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** What a re-INVITE from the far end got back. */
export interface ReinviteReply {
  accepted?: string;
  rejected?: SentResponse;
}

abstract class FakeCall extends TypedEmitter<CallEvents> {
  ended = false;
  localSdp: string | undefined;
  remoteSdp: string | undefined;
  byes = 0;
  /** The reason each BYE was sent with (undefined: none given). */
  readonly byeReasons: (string | undefined)[] = [];
  /** The dialog, as the real call reports it (RFC 3891 identifiers); set by a test. */
  dialogIdentity: DialogIdentity | undefined;
  /** Refer-To targets of the REFERs sent in this call. */
  readonly refers: string[] = [];
  /** How the far end answers a REFER. */
  referReply: { status: number; reason: string } = { status: 202, reason: 'Accepted' };
  /** Offers of the re-INVITEs the link sent. */
  readonly reinvitesSent: string[] = [];
  /** How the far end answers our re-INVITE: a fixed result or a function of the offer. */
  reinviteReply: ReinviteResult | ((offer: string) => ReinviteResult) = { status: 488, reason: 'Not Acceptable Here' };

  constructor() {
    super();
    this.onListenerError = (event, err) => {
      throw new Error(`a listener for ${event} threw: ${String(err)}`);
    };
  }

  /** The link hangs up: like the real call, 'ended' (by local, with the reason given) is emitted at once. */
  bye(reason?: string): Promise<void> {
    this.byes++;
    this.byeReasons.push(reason);
    this.end({ by: 'local', ...(reason !== undefined ? { reason } : {}) });
    return Promise.resolve();
  }

  /** RFC 3515: a REFER in this call, answered with `referReply`. */
  refer(target: string): Promise<{ status: number; reason: string }> {
    this.refers.push(target);
    return Promise.resolve(this.referReply);
  }

  /** A NOTIFY about our REFER: the far end's call to the target reached `status`. */
  notify(status: number, reason: string, final = status >= 200): void {
    this.emit('refer-progress', { status, reason, final });
  }

  /** The dialog is confirmed with these identifiers (what the real call exposes once it is). */
  withDialog(id: Partial<DialogIdentity> & { callId: string; localTag: string; remoteTag: string }): this {
    this.dialogIdentity = { phase: 'confirmed', locallyInitiated: false, remoteTarget: 'sip:far@192.0.2.7:5060', ...id };
    return this;
  }

  reinvite(sdp: string): Promise<ReinviteResult> {
    this.reinvitesSent.push(sdp);
    const r = typeof this.reinviteReply === 'function' ? this.reinviteReply(sdp) : this.reinviteReply;
    if (r.status >= 200 && r.status < 300) {
      this.localSdp = sdp;
      if (r.sdp !== undefined) this.remoteSdp = r.sdp;
    }
    return Promise.resolve(r);
  }

  /** The far end sends BYE. */
  remoteBye(): void {
    this.end({ by: 'remote' });
  }

  /** The UA lost the far end (its session timer expired, RFC 4028 §10) and ended the call itself. */
  networkLoss(reason: string): void {
    this.end({ by: 'network', reason });
  }

  /** The far end sends a re-INVITE (with `offerSdp`, or without a body). */
  remoteReinvite(offerSdp: string | undefined): ReinviteReply {
    const reply: ReinviteReply = {};
    const offer: ReinviteOffer = {
      method: 'INVITE',
      offerSdp,
      request: {} as SipRequest,
      accept: (answer) => {
        reply.accepted = answer;
        if (offerSdp !== undefined) this.remoteSdp = offerSdp;
        this.localSdp = answer;
      },
      reject: (status, reason, headers) => {
        reply.rejected = { status, reason, headers: headers ?? [] };
      },
    };
    this.emit('reinvite', offer);
    return reply;
  }

  /**
   * The ACK of the 2xx to a re-INVITE without an offer: with the answer to the offer our 2xx
   * carried, or without one (RFC 3264 §8).
   */
  reinviteAck(answerSdp: string | undefined): void {
    if (answerSdp !== undefined) this.remoteSdp = answerSdp;
    this.emit('reinvite-answer', { sdp: answerSdp });
  }

  protected end(info: CallEndInfo): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('ended', info);
  }
}

export class FakeOutgoingCall extends FakeCall implements LinkOutgoingCall {
  cancels = 0;

  constructor(readonly target: string, offer: string) {
    super();
    this.localSdp = offer;
  }

  get offer(): string {
    return this.localSdp ?? '';
  }

  cancel(): void {
    this.cancels++;
  }

  /** A provisional response from the far end; with `sdp`, early media in the dialog `toTag` (RFC 3960 §3). */
  progress(status = 180, reason = 'Ringing', sdp?: string, toTag?: string): void {
    if (sdp !== undefined && this.remoteSdp === undefined) this.remoteSdp = sdp;
    this.emit('progress', { status, reason, ...(sdp !== undefined ? { sdp } : {}), ...(toTag !== undefined ? { toTag } : {}) });
  }

  /**
   * The 2xx (ACKed) with the far end's answer; `dialog` names its To tag and the early SDP that
   * dialog sent, as the user agent reports them.
   */
  answer(sdp: string | undefined, dialog: { toTag?: string; earlySdp?: string } = {}): void {
    this.remoteSdp = sdp ?? dialog.earlySdp;
    this.emit('answered', { sdp, ...dialog });
  }

  /** The INVITE ended without a session. */
  fail(status: number, reason: string): void {
    this.ended = true;
    this.emit('failed', { status, reason });
  }
}

export class FakeIncomingCall extends FakeCall implements LinkIncomingCall {
  /** Every response the link sent to the INVITE, in order (180, 200, or a final non-2xx). */
  readonly responses: SentResponse[] = [];
  /** The packet source of the INVITE (by default the address its SDP names). */
  readonly remoteAddress: { address: string };
  /** The digest user admission authenticated the caller as (set by a test). */
  authenticatedUser: string | undefined;
  /** RFC 3891: the dialog this INVITE's Replaces names (set by a test; the core checked it). */
  replaces: { callId: string; toTag: string; fromTag: string } | undefined;
  private answered = false;

  constructor(
    readonly offerSdp: string | undefined,
    readonly from: { uri: string; displayName?: string } = { uri: 'sip:studio@192.0.2.7' },
    source = PEER_ADDRESS,
  ) {
    super();
    this.remoteAddress = { address: source };
    this.remoteSdp = offerSdp;
  }

  /** The final response, once one was sent. */
  get final(): SentResponse | undefined {
    return this.responses.find((r) => r.status >= 200);
  }

  ringing(): void {
    if (this.answered || this.ended) return;
    this.responses.push({ status: 180, reason: 'Ringing', headers: [] });
  }

  accept(answerSdp: string): void {
    if (this.answered || this.ended) return;
    this.answered = true;
    this.localSdp = answerSdp;
    this.responses.push({ status: 200, reason: 'OK', headers: [] });
  }

  reject(status: number, reason?: string, headers?: [string, string][]): void {
    if (this.answered || this.ended) return;
    this.responses.push({ status, reason, headers: headers ?? [] });
    this.end({ by: 'local', status, ...(reason !== undefined ? { reason } : {}) });
  }

  /**
   * The ACK of our 2xx. When the INVITE had no offer, our 2xx carried one and the ACK brings the
   * answer, or not (RFC 3264 §4).
   */
  ack(answerSdp?: string): void {
    if (!this.answered || this.ended) return;
    this.emit('confirmed');
    if (this.offerSdp !== undefined) return;
    if (answerSdp !== undefined) this.remoteSdp = answerSdp;
    this.emit('ack-answer', { sdp: answerSdp });
  }

  /** No ACK within 64·T1: the user agent ends the call with BYE (RFC 3261 §13.3.1.4). */
  noAck(): void {
    this.end({ by: 'local', status: 408, reason: 'no ACK for our 2xx within 64·T1' });
  }

  /** The caller gives up before the final response (CANCEL → 487, RFC 3261 §9.2). */
  remoteCancel(): void {
    if (this.answered || this.ended) return;
    this.responses.push({ status: 487, reason: 'Request Terminated', headers: [] });
    this.end({ by: 'remote', status: 487, reason: 'Request Terminated' });
  }
}

export class FakeRegistration extends TypedEmitter<RegistrationEvents> implements LinkRegistration {
  unregistered = 0;
  closed = false;
  constructor(readonly opts: RegisterOptions) {
    super();
  }
  unregister(): Promise<void> {
    this.unregistered++;
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
  }
}

/** The user agent: records INVITEs sent, delivers INVITEs received. */
export class FakeUa extends TypedEmitter<{ incomingCall: [LinkIncomingCall] }> implements CallPort, LinkManagerUa {
  readonly invites: FakeOutgoingCall[] = [];
  /** The per-call options of each INVITE, in the order sent (without the SDP). */
  readonly inviteOptions: DialOptions[] = [];
  readonly registrations: FakeRegistration[] = [];
  readonly probed: string[] = [];
  /** The options of each probe, in the order sent. */
  readonly probeOptions: (DialOptions | undefined)[] = [];

  constructor(readonly userAgentName = 'studio-b/2.1') {
    super();
  }

  invite(target: string, opts: DialOptions & { sdp: string; headers?: [string, string][] }): FakeOutgoingCall {
    const { sdp, ...rest } = opts;
    this.inviteOptions.push(rest);
    const call = new FakeOutgoingCall(target, sdp);
    this.invites.push(call);
    return call;
  }

  register(opts: RegisterOptions): FakeRegistration {
    const r = new FakeRegistration(opts);
    this.registrations.push(r);
    return r;
  }

  options(target: string, opts?: DialOptions): Promise<{ status: number; rttMs: number }> {
    this.probed.push(target);
    this.probeOptions.push(opts);
    return Promise.resolve({ status: 200, rttMs: 1 });
  }

  /** An INVITE arrives. */
  incoming(call: FakeIncomingCall): FakeIncomingCall {
    this.emit('incomingCall', call);
    return call;
  }

  get lastInvite(): FakeOutgoingCall {
    const c = this.invites[this.invites.length - 1];
    if (!c) throw new Error('the link sent no INVITE');
    return c;
  }
}

// ---- media side -----------------------------------------------------------------------------

const meter = { channels: [{ peakDbfs: -18, rmsDbfs: -21 }, { peakDbfs: -18, rmsDbfs: -21 }], clipEvents: 0 };

/**
 * Statistics of a fake session: only the fields the link layer reads are meaningful (the rest of
 * the real shape is irrelevant to it, hence the cast).
 */
function fakeStats(s: FakeMediaSession): MediaSessionStats {
  return {
    linkId: s.linkId,
    closed: s.isClosed,
    send: s.params.send,
    receive: s.params.receive,
    localRtpPort: s.localRtpPort,
    localRtcpPort: s.localRtcpPort,
    rtp: {
      rx: { packets: s.rx.expected - s.rx.lost, expected: s.rx.expected, lost: s.rx.lost, duplicates: 0, reordered: 0, lossFraction: 0, jitterMs: 1.5, malformed: 0, foreignSource: 0 },
      tx: { packets: 100 },
      remoteReport: null,
    },
    lastRxMs: s.lastRxMs,
    lastRtcpRxMs: s.lastRtcpRxMs,
    txBitrateBps: 128_000,
    rxBitrateBps: 128_000,
    rttMs: 12,
    jitterBuffer: s.params.receive ? { late: 0, concealedFrames: s.concealedFrames, concealedMs: 0, concealedPct: 0, currentDelayMs: 40, targetDelayMs: 40, driftPpm: 0, underruns: 0 } : null,
    input: { meter },
    output: { meter },
  } as unknown as MediaSessionStats;
}

export class FakeMediaSession extends TypedEmitter<MediaSessionEvents> implements MediaSessionLike {
  isClosed = false;
  closeCount = 0;
  /** Every update the link made, in order. */
  readonly updates: MediaSessionParams[] = [];
  /** Reject the next update with this error. */
  failNextUpdate: Error | undefined;
  /** Receive counters reported by stats() (a test moves them to simulate loss). */
  rx = { expected: 0, lost: 0 };
  /** `clock.now()` of the last RTP and RTCP packets from the far end, as stats() reports them. */
  lastRxMs: number | null = null;
  lastRtcpRxMs: number | null = null;
  /** Frames the playout concealed, as stats() reports them (a test moves it to simulate a starved link). */
  concealedFrames = 0;

  constructor(
    public params: MediaSessionParams,
    readonly localRtpPort: number,
  ) {
    super();
    this.onListenerError = (event, err) => {
      throw new Error(`a listener for ${event} threw: ${String(err)}`);
    };
  }

  get linkId(): string {
    return this.params.linkId;
  }

  get localRtcpPort(): number {
    return this.localRtpPort + 1;
  }

  currentParams(): MediaSessionParams {
    return structuredClone(this.params);
  }

  update(next: MediaSessionParams): Promise<void> {
    const err = this.failNextUpdate;
    this.failNextUpdate = undefined;
    if (err) return Promise.reject(err);
    this.params = next;
    this.updates.push(next);
    return Promise.resolve();
  }

  stats(): MediaSessionStats {
    return fakeStats(this);
  }

  close(): Promise<void> {
    this.closeCount++;
    this.isClosed = true;
    return Promise.resolve();
  }

  /** The worker running this session dies: the session ends without close(). */
  loseWorker(message = 'media worker 0 exited with code 1'): void {
    this.isClosed = true;
    this.emit('error', { code: 'MEDIA_WORKER_EXIT', message, where: 'worker' });
    this.emit('closed', { reason: 'worker-exit', message });
  }
}

/** Opens fake sessions on consecutive even ports, or fails the next open with a scripted error. */
export class FakeMediaOpener {
  readonly sessions: FakeMediaSession[] = [];
  /** Reject the next open with this error. */
  failNextOpen: Error | undefined;
  /** Called with each new session before the link gets it (to script its failures). */
  onOpen: ((s: FakeMediaSession) => void) | undefined;
  private nextPort = 6000;

  /** While set, opens wait for it (a test holds the link in the middle of its set-up). */
  gate: Promise<void> | undefined;

  readonly open: MediaSessionOpener = async (params) => {
    if (this.gate) await this.gate;
    const err = this.failNextOpen;
    this.failNextOpen = undefined;
    if (err) throw err;
    const s = new FakeMediaSession(structuredClone(params), this.nextPort);
    this.nextPort += 2;
    this.sessions.push(s);
    this.onOpen?.(s);
    return s;
  };

  /** Hold every open until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => {
      release = () => {
        this.gate = undefined;
        resolve();
      };
    });
    return release;
  }

  get last(): FakeMediaSession {
    const s = this.sessions[this.sessions.length - 1];
    if (!s) throw new Error('no media session was opened');
    return s;
  }

  /** Sessions not closed (by the link or by a lost worker). */
  get openSessions(): FakeMediaSession[] {
    return this.sessions.filter((s) => !s.isClosed);
  }
}

// ---- logging and scheduling -------------------------------------------------------------------

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

export class RecordingLog implements LinkLogger {
  readonly lines: LogLine[] = [];
  debug(obj: object, msg: string): void {
    this.lines.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
}

/** Let pending promise work (media opens, updates, closes) run to completion. No time passes. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
