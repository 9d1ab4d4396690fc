/**
 * The API contract: TypeBox schemas of every request and response body of the REST API and of the
 * live feed, and their `Static<>` types. fastify validates requests and serializes responses with
 * these schemas, @fastify/swagger documents them at /docs, and the panel and the CLI import the
 * types. This folder imports nothing but TypeBox, so a browser bundle may import it.
 *
 * Exported names (each is a schema value and a type of the same name unless marked "type"):
 *   common     IdParams, Direction, EndReason, IsoTime (helper), Nullable (helper)
 *   errors     ErrorBody
 *   auth       Role, LoginBody, LoginResult, LogoutResult
 *   status     Listening, RegistrationStatus, HealthBody, ServiceLoad, StatusBody
 *   links      LinkState, LinkCodecInfo, LinkRxStats, LinkTxStats, LinkMeters, EbuAcipInfo, MediaDirection,
 *              LinkSnapshot, LinkList, LinkMeterFrame, DialBody, ChangeProfileBody, TransferBody, TransferResult
 *   phonebook  PhonebookInput, PeerPresence, Reachability, AnswerSeizure, PhonebookEntry, PhonebookList
 *   history    HistoryQuery, CallQuality, HistoryRecord, HistoryList
 *   alarms     AlarmKind, Alarm, AlarmList
 *   profiles   CodecChoice, JitterBufferSettings, ProfileSummary, ProfileList, ProfileNameParams
 *   messages   MessageDirection, MessageStatus, Message, MessageQuery, SendMessageBody, MessageList,
 *              MESSAGE_TEXT_MAX (constant)
 *   live       LiveHello, LiveLink, LiveLinkRemoved, LiveStats, LiveMeters, LiveAlarm, LiveRegistration, LiveTextMessage, LivePresence,
 *              LiveMessage, LiveMessageType (type)
 */
export * from './common.js';
export * from './errors.js';
export * from './auth.js';
export * from './status.js';
export * from './links.js';
export * from './phonebook.js';
export * from './history.js';
export * from './alarms.js';
export * from './profiles.js';
export * from './live.js';
export * from './messages.js';
