/**
 * Dual-path streaming signalled in SDP: the duplication grouping of RFC 7104 §3 over the grouping
 * framework of RFC 5888. Two audio m-lines carry the same stream (same formats, same payload types)
 * over two transport addresses, tied by `a=group:DUP <mid> <mid>` with an `a=mid` on each (RFC 5888
 * §4, §5). Our media layer sends every packet over both paths and merges what arrives by sequence
 * number (RFC 7198).
 *
 * Plain values in and out: whether a description groups two m-lines for duplication, whether the
 * second line of an answer accepts our second path, and what the link is told about it.
 *
 * Peers that do not understand grouping (RFC 5888 §9.2) ignore the a=group and a=mid lines and
 * answer each m-line on its own: they accept both as independent streams, or refuse the second with
 * port 0. Neither is an agreement to duplicate, so without the group in the answer we run a single
 * path: nothing is sent on the second line, whatever its port says.
 *
 * The SSRC-multiplexed form (RFC 7104 §4.1, `a=ssrc-group:DUP` on one m-line: a second SSRC in the
 * same RTP session) is not supported: it needs the merge to take a second SSRC on one socket. Such
 * a line is noted and ignored; the stream is played from its primary SSRC.
 */
import type { SdpMediaView, SdpSessionView } from '../sdp-model.js';

/** RFC 7104 §3: the semantics token of a duplication group. */
export const DUP_SEMANTICS = 'DUP';

/** The tags our offers use for the two lines (RFC 5888 §4: any token unique in the session). */
export const OUR_MIDS: readonly [string, string] = ['1', '2'];

/** RFC 5888 §4: identification-tag = token (RFC 4566 §9). Longer than 64 characters: refused. */
const MID_TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}$/;

/** Two m-lines of a description grouped for duplication: the indexes and their tags, in group order. */
export interface DupPair {
  indexes: [number, number];
  mids: [string, string];
}

/** What a description says about duplication: nothing, a usable pair, or a group we ignored and why. */
export type DupReading = { kind: 'none' } | { kind: 'pair'; pair: DupPair; notes: string[] } | { kind: 'ignored'; reason: string };

/** Where the peer's second path listens, as the media layer needs it. */
export interface DualPathRemote {
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

/**
 * The second path after a negotiation. `signalled`: both sides agreed on two lines; `remote` is
 * the peer's second line, `local` our second line's ports. Otherwise the reason there is none, and
 * `malformed` when the peer's grouping was unreadable (worth a warning in the log).
 */
export type DualPathOutcome =
  | { signalled: true; remote: DualPathRemote; local: { rtpPort: number; rtcpPort?: number } }
  | { signalled: false; reason: string; malformed?: boolean };

/** Our second m-line (RFC 7104 §3): where the second path listens. `rtpPort` 0: kept disabled (RFC 3264 §8.2). */
export interface DupLine {
  address: string;
  rtpPort: number;
  rtcpPort?: number;
  mids: [string, string];
}

function midIndex(media: readonly SdpMediaView[]): { byMid: Map<string, number[]> } {
  const byMid = new Map<string, number[]>();
  for (const m of media) {
    if (m.mid === undefined) continue;
    const list = byMid.get(m.mid) ?? [];
    list.push(m.index);
    byMid.set(m.mid, list);
  }
  return { byMid };
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 32 ? `${text.slice(0, 32)}...` : text);
}

/**
 * The duplication group of a description, checked against its m-lines: a group naming fewer than
 * two tags, a tag that is not a token, a tag used twice, a tag no m-line (or several) carries, or a
 * member that is not audio makes the group ignored (RFC 5888 §5: the tags identify m-lines of this
 * description). More than one DUP group, or more than two members: the first two members are used.
 */
export function readDupGroup(view: SdpSessionView): DupReading {
  const dupGroups = view.groups.filter((g) => g.semantics.toUpperCase() === DUP_SEMANTICS);
  const malformed = view.malformedGroups.find((g) => /^group:dup\b/i.test(g));
  if (dupGroups.length === 0) return malformed !== undefined ? { kind: 'ignored', reason: `malformed a=${malformed.slice(0, 80)} (RFC 5888 §5)` } : { kind: 'none' };
  const group = dupGroups[0]!;
  const notes: string[] = [];
  if (dupGroups.length > 1) notes.push(`${dupGroups.length} a=group:DUP lines; the first is used`);
  if (group.mids.length < 2) return { kind: 'ignored', reason: `a=group:DUP names ${group.mids.length} m-line; duplication needs two (RFC 7104 §3)` };
  const [a, b] = group.mids as [string, string];
  for (const t of [a, b]) if (!MID_TOKEN.test(t)) return { kind: 'ignored', reason: `a=group:DUP tag ${quoted(t)} is not a token (RFC 5888 §4)` };
  if (a === b) return { kind: 'ignored', reason: `a=group:DUP names ${quoted(a)} twice` };
  if (group.mids.length > 2) notes.push(`a=group:DUP names ${group.mids.length} m-lines; the first two are used`);
  const { byMid } = midIndex(view.media);
  const indexes: number[] = [];
  for (const t of [a, b]) {
    const at = byMid.get(t) ?? [];
    if (at.length !== 1) return { kind: 'ignored', reason: at.length === 0 ? `no m-line has a=mid:${quoted(t)} named in a=group:DUP` : `a=mid:${quoted(t)} is on ${at.length} m-lines (RFC 5888 §4: unique)` };
    const m = view.media[at[0]!]!;
    if (m.type.toLowerCase() !== 'audio') return { kind: 'ignored', reason: `a=group:DUP member ${quoted(t)} is ${m.type}, not audio` };
    indexes.push(m.index);
  }
  return { kind: 'pair', pair: { indexes: [indexes[0]!, indexes[1]!], mids: [a, b] }, notes };
}

/** Notes about RFC 7104 §4.1 SSRC-level duplication, which we do not take. */
export function ssrcDupNotes(view: SdpSessionView): string[] {
  return view.media.some((m) => m.ssrcGroups?.some((s) => s.toUpperCase() === DUP_SEMANTICS))
    ? ['a=ssrc-group:DUP (RFC 7104 §4.1) is not supported: the stream is played from its primary source only']
    : [];
}

/** The member of `pair` that is not `index`, or undefined when `index` is not in it. */
export function partnerOf(pair: DupPair, index: number): number | undefined {
  const [x, y] = pair.indexes;
  return index === x ? y : index === y ? x : undefined;
}

function usableAddress(a: string | undefined): a is string {
  return a !== undefined && a !== '' && a !== '0.0.0.0' && a !== '::';
}

/** Where a peer's m-line listens for the second path, or why it cannot carry it. */
export function remoteOfLine(m: SdpMediaView): { ok: true; remote: DualPathRemote } | { ok: false; reason: string } {
  if (m.port === 0) return { ok: false, reason: 'the second m-line has port 0' };
  if (!usableAddress(m.address)) return { ok: false, reason: 'the second m-line has no usable c= address' };
  return { ok: true, remote: { address: m.address, rtpPort: m.port, rtcpPort: m.rtcp?.port ?? m.port + 1 } };
}
