/**
 * Negotiating the second path of a duplicated stream (RFC 7104 §3 duplication grouping, RFC 7198
 * duplication): whether our answer accepts an offer's second grouped m-line, and whether the answer
 * to our offer accepted ours. Plain values in and out; grouping.ts reads the group lines.
 *
 * A second path is only used when both sides grouped the two lines. An answer that ignores the
 * grouping (RFC 5888 §9.2) or refuses the second line with port 0 (RFC 3264 §6) leaves a single
 * path; an offer's second line we cannot or do not want to run is refused with port 0 and the
 * answer carries no group: never a 488 for the grouping alone.
 */
import { formatText } from '../codec-match.js';
import type { SdpFormat, SdpMediaView, SdpSessionView } from '../sdp-model.js';
import type { LocalOffer } from '../session-types.js';
import { partnerOf, readDupGroup, remoteOfLine, ssrcDupNotes, type DualPathOutcome, type DupLine } from './grouping.js';
import type { PeerMedia } from './peer-media.js';

/** Where our second path listens (the link's second socket pair and the address to advertise). */
export interface SecondPath {
  address: string;
  rtpPort: number;
  rtcpPort?: number;
}

/** Our answer's part in duplication: the line to accept, our second line, the outcome, notes. */
export interface AnsweredDualPath {
  /** The offered m-line our second path answers, with the tags to echo (RFC 5888 §9.1). */
  accept?: { index: number; address: string; rtpPort: number; rtcpPort?: number; groupMids: [string, string]; chosenMid: string; secondMid: string };
  dupLine?: DupLine;
  outcome?: DualPathOutcome;
  notes: string[];
}

function sameFormat(line: SdpMediaView, f: SdpFormat): boolean {
  return line.formats.some((g) => g.payloadType === f.payloadType && formatText(g).toLowerCase() === formatText(f).toLowerCase());
}

function sameCrypto(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Why the offer's grouped partner of the chosen stream cannot carry our second path, or undefined
 * when it can: it listens somewhere, runs the chosen stream's transport and carries the chosen
 * format under the same payload type (RFC 7104 §3: the streams are identical). Our media layer keys
 * both paths alike, so an SRTP partner must carry the same a=crypto lines.
 */
function partnerProblem(line: SdpMediaView, chosen: { peer: PeerMedia; format: SdpFormat }): string | undefined {
  const remote = remoteOfLine(line);
  if (!remote.ok) return remote.reason;
  if (line.protocol.toLowerCase() !== chosen.peer.protocol.toLowerCase()) return `the second m-line runs ${line.protocol}, the first ${chosen.peer.protocol}`;
  if (!sameFormat(line, chosen.format)) return `the second m-line does not carry ${formatText(chosen.format)} as payload type ${chosen.format.payloadType}`;
  if (!sameCrypto(line.crypto ?? [], chosen.peer.crypto)) return 'the two m-lines carry different a=crypto keys; both paths run with one key';
  return undefined;
}

/**
 * Answering an offer (RFC 7104 §3 with RFC 3264 §6): the offer's duplication group is accepted when
 * the chosen stream is in it, our profile duplicates, a second path is open, and its partner line
 * can carry the copy. `wants`: the profile has `redundancy.duplicate`.
 */
export function answerDualPath(offer: SdpSessionView, chosen: { peer: PeerMedia; format: SdpFormat }, wants: boolean, second: SecondPath | undefined): AnsweredDualPath {
  const notes = ssrcDupNotes(offer);
  const reading = readDupGroup(offer);
  const ours = wants && second !== undefined;
  if (reading.kind === 'none') return { notes, ...(ours ? { outcome: { signalled: false, reason: 'the offer has no a=group:DUP' } } : {}) };
  if (reading.kind === 'ignored') return { notes: [...notes, `ignored: ${reading.reason}`], outcome: { signalled: false, reason: reading.reason, malformed: true } };
  notes.push(...reading.notes);
  const partner = partnerOf(reading.pair, chosen.peer.index);
  if (partner === undefined) return { notes, outcome: { signalled: false, reason: 'the chosen audio stream is not in the a=group:DUP' } };
  if (!ours) {
    const reason = wants ? 'no second path is configured (rtp.duplicatePath)' : 'the profile does not duplicate the stream (redundancy.duplicate)';
    return { notes: [...notes, `second m-line of a=group:DUP refused: ${reason}`], outcome: { signalled: false, reason } };
  }
  const line = offer.media[partner]!;
  const problem = partnerProblem(line, chosen);
  if (problem !== undefined) return { notes: [...notes, `second m-line of a=group:DUP refused: ${problem}`], outcome: { signalled: false, reason: problem } };
  const remote = remoteOfLine(line);
  if (!remote.ok) return { notes, outcome: { signalled: false, reason: remote.reason } };
  const chosenMid = offer.media[chosen.peer.index]!.mid!;
  const secondMid = line.mid!;
  const rtcp = second.rtcpPort !== undefined ? { rtcpPort: second.rtcpPort } : {};
  return {
    accept: { index: partner, address: second.address, rtpPort: second.rtpPort, ...rtcp, groupMids: reading.pair.mids, chosenMid, secondMid },
    dupLine: { address: second.address, rtpPort: second.rtpPort, ...rtcp, mids: [chosenMid, secondMid] },
    outcome: { signalled: true, remote: remote.remote, local: { rtpPort: second.rtpPort, ...rtcp } },
    notes,
  };
}

/**
 * Reading the answer to our offer: our second line is in use when the answer groups both lines for
 * duplication and its second line listens and carries the chosen format. Undefined when we offered
 * no second line.
 */
export function readAnswerDualPath(offered: LocalOffer, answer: SdpSessionView, chosen: SdpFormat): { outcome: DualPathOutcome; notes: string[] } | undefined {
  const dup = offered.dupLine;
  if (!dup) return undefined;
  const notes = ssrcDupNotes(answer);
  const single = (reason: string, malformed = false): { outcome: DualPathOutcome; notes: string[] } => ({
    outcome: { signalled: false, reason, ...(malformed ? { malformed } : {}) },
    notes: [...notes, `single path: ${reason}`],
  });
  if (dup.rtpPort === 0) return single('our second m-line is disabled');
  const line = answer.media[1];
  if (!line) return single(`the answer has ${answer.media.length} m-line; our offer had 2`);
  if (line.port === 0) return single('the peer refused the second m-line (port 0)');
  const reading = readDupGroup(answer);
  // RFC 5888 §9.2: an answerer that ignores grouping answers each line on its own; that is no agreement to duplicate.
  if (reading.kind === 'none') return single('the answer has no a=group:DUP (the peer does not take grouping, RFC 5888 §9.2)');
  if (reading.kind === 'ignored') return single(reading.reason, true);
  const [x, y] = reading.pair.indexes;
  if (!((x === 0 && y === 1) || (x === 1 && y === 0))) return single('the answer groups other m-lines than ours', true);
  const remote = remoteOfLine(line);
  if (!remote.ok) return single(remote.reason);
  if (!sameFormat(line, chosen)) return single(`the answer's second m-line does not carry ${formatText(chosen)} as payload type ${chosen.payloadType}`);
  return {
    outcome: { signalled: true, remote: remote.remote, local: { rtpPort: dup.rtpPort, ...(dup.rtcpPort !== undefined ? { rtcpPort: dup.rtcpPort } : {}) } },
    notes: [...notes, ...reading.notes],
  };
}
