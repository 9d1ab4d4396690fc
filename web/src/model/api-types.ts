/**
 * The shapes of the REST bodies and live-feed messages the panel reads, straight from the service's
 * API contract (type-only: nothing of the service lands in the bundle, and the panel cannot drift
 * from what the service validates and sends). The panel imports them from here only.
 */
import type { Reachability } from '../../../server/api/contract/index.js';

export type {
  Alarm,
  AlarmKind,
  AlarmList,
  ChangeProfileBody,
  CodecChoice,
  DialBody,
  EbuAcipInfo,
  EndReason,
  ErrorBody,
  HealthBody,
  HistoryList,
  HistoryRecord,
  LinkCodecInfo,
  LinkMeters,
  LinkPatch,
  LinkRxStats,
  LinkSnapshot,
  LinkState,
  Listening,
  LiveMessage,
  LoginResult,
  Message,
  MessageList,
  PeerPresence,
  SendMessageBody,
  PhonebookEntry,
  PhonebookInput,
  PhonebookList,
  ProfileList,
  ProfileSummary,
  Reachability,
  RegistrationStatus,
  Role,
  StatusBody,
  TransferBody,
  TransferResult,
} from '../../../server/api/contract/index.js';

/** Reachability as a word and a tone: never colour alone. */
export function reachabilityView(r: Reachability | undefined): { word: string; tone: 'ok' | 'bad' | 'off' } {
  if (!r || r.reachable === null) return { word: 'not probed', tone: 'off' };
  if (r.reachable) return { word: r.rttMs !== null ? `reachable, ${Math.round(r.rttMs)} ms` : 'reachable', tone: 'ok' };
  return { word: r.status ? `unreachable (${r.status})` : 'unreachable', tone: 'bad' };
}
