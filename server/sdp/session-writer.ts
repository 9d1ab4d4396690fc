/**
 * What our offers and answers share when they are written: the session lines (v=, o=, s=, c=, t=),
 * a=rtcp when RTCP is not on the next port (RFC 3605), and our a=ebuacip lines (EBU Tech 3368).
 */
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { ebuAcipSetToValues, type EbuAcipSet } from './ebuacip.js';
import { EBUACIP_ATTRIBUTE } from './ebuacip-table.js';
import { addressFamily, writeSdp } from './sdp-model.js';
import type { LocalSession } from './session-types.js';

/** Longest a=maxptime we announce (RFC 4566 §6; common practice stays at or below 120 ms). */
export const MAX_ANNOUNCED_PTIME_MS = 120;

/** Our a=ebuacip lines, in the form sdp-transform writes back verbatim. */
export function ebuacipAttributes(set: EbuAcipSet): { value: string }[] {
  return ebuAcipSetToValues(set).map((v) => ({ value: `${EBUACIP_ATTRIBUTE}:${v}` }));
}

export function rtcpAttribute(local: LocalSession): MediaDescription['rtcp'] | undefined {
  // RFC 3605: only needed when RTCP is not on the next port.
  return local.rtcpPort !== undefined && local.rtcpPort !== local.rtpPort + 1 ? { port: local.rtcpPort } : undefined;
}

/** The whole description: our session lines (and RFC 5888 a=group lines) around the given m-lines. */
export function writeSession(local: LocalSession, media: MediaDescription[], groups?: SessionDescription['groups']): string {
  const desc: SessionDescription = {
    version: 0,
    // Rewritten by writeSdp (ids kept exact); present so that the writer keeps its place.
    origin: { username: local.origin.username, sessionId: 0, sessionVersion: 0, netType: 'IN', ipVer: local.origin.ipVer, address: local.origin.address },
    name: local.sessionName,
    connection: { version: addressFamily(local.localAddress), ip: local.localAddress },
    timing: { start: 0, stop: 0 },
    ...(groups && groups.length > 0 ? { groups } : {}),
    media,
  };
  return writeSdp(desc, local.origin);
}

/**
 * The copy of an accepted m-line that carries the second path of a duplicated stream (RFC 7104 §3):
 * the same formats and attributes on the second path's port and address (a media-level c= line
 * when it differs from the session's, RFC 4566 §5.7).
 */
export function secondLine(first: MediaDescription, local: LocalSession, line: { address: string; rtpPort: number; rtcpPort?: number; mid: string }): MediaDescription {
  const { rtcp: _rtcp, connection: _connection, ...rest } = first;
  const rtcp = line.rtcpPort !== undefined && line.rtcpPort !== line.rtpPort + 1 ? { port: line.rtcpPort } : undefined;
  return {
    ...rest,
    port: line.rtpPort,
    ...(line.address !== local.localAddress ? { connection: { version: addressFamily(line.address), ip: line.address } } : {}),
    ...(rtcp ? { rtcp } : {}),
    mid: line.mid,
  };
}
