/**
 * What the link layer needs from the SIP user agent, as small interfaces: a link dials out, answers
 * or rejects an incoming INVITE, sends re-INVITEs and BYE, and names itself in Warning headers. The
 * manager also hears of new INVITEs, registers and probes. `SipUserAgent`, `OutgoingCall` and
 * `IncomingCall` satisfy these structurally; tests pass fakes.
 */
import type { CallEvents, ReinviteResult } from '../sip/ua/call.js';
import type { RegisterOptions, RegistrationEvents } from '../sip/ua/registration.js';

/** Subscribe to one event of a typed emitter; returns the unsubscribe function. */
type On<E extends Record<string, unknown[]>> = <K extends keyof E>(event: K, fn: (...args: E[K]) => void) => () => void;

/** A call once it exists, whichever side placed it (RFC 3261 §12–§15). */
export interface LinkCall {
  readonly ended: boolean;
  /** Offer/answer bodies as sent and received (shown on the link's page). */
  readonly localSdp: string | undefined;
  readonly remoteSdp: string | undefined;
  /** Hang up (§15.1.1); resolves when the BYE transaction ends. */
  bye(): Promise<void>;
  /** Mid-call offer (§14.1); resolves with the final response. */
  reinvite(sdp: string): Promise<ReinviteResult>;
  on: On<CallEvents>;
}

/** An INVITE we sent (§13.2). */
export interface LinkOutgoingCall extends LinkCall {
  /** CANCEL (§9.1) while no final response has arrived. */
  cancel(): void;
}

/** An INVITE we received (§13.3). */
export interface LinkIncomingCall extends LinkCall {
  readonly from: { uri: string; displayName?: string };
  /** Where the INVITE came from (the SDP c= of our answer follows it). */
  readonly remoteAddress: { address: string };
  readonly offerSdp: string | undefined;
  /** The digest user the caller proved to be (RFC 3261 §22), when admission challenged it: proof, unlike From. */
  readonly authenticatedUser?: string | undefined;
  /**
   * The INVITE as received: its top Via names the transport of the last hop, which tells whether
   * SDES keys in the SDP travelled over TLS (RFC 4568 §8.1). Absent: treated as clear signalling.
   */
  readonly request?: { readonly headers: { get(name: string): string | undefined } };
  /** 180 Ringing. */
  ringing(): void;
  /** 200 OK with our answer. */
  accept(answerSdp: string): void;
  /** A final non-2xx response. */
  reject(status: number, reason?: string, headers?: [string, string][]): void;
}

/** Per-call choices a link passes to the user agent when it dials. */
export interface DialOptions {
  tlsVerify?: boolean;
}

/** What a link asks of the user agent. */
export interface CallPort {
  /** Product token of User-Agent/Server headers: also the warn-agent of our Warning headers (§20.43). */
  readonly userAgentName: string;
  /** `tlsVerify: false` accepts a TLS peer whose certificate fails verification (a phonebook entry's choice). */
  invite(target: string, opts: DialOptions & { sdp: string }): LinkOutgoingCall;
}

/** A registration at a registrar (RFC 3261 §10). */
export interface LinkRegistration {
  on: On<RegistrationEvents>;
  unregister(): Promise<void>;
  close(): void;
}

/** What the link manager asks of the user agent, on top of what its links ask. */
export interface LinkManagerUa extends CallPort {
  on(event: 'incomingCall', fn: (call: LinkIncomingCall) => void): () => void;
  register(opts: RegisterOptions): LinkRegistration;
  /** OPTIONS (§11): any final response, with its round-trip time. */
  options(target: string, opts?: DialOptions): Promise<{ status: number; rttMs: number }>;
}
