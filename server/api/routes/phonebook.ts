/** Phonebook CRUD, with each entry's reachability (OPTIONS probe), answer/seizure ratio and, when watched, presence. */
import type { FastifyInstance } from 'fastify';
import type { LinksPort } from '../../links/links-port.js';
import type { Phonebook, PhonebookEntry as StoredEntry } from '../../store/phonebook.js';
import type { CallHistory } from '../../store/call-history.js';
import { AcipError } from '../../util/errors.js';
import { IdParams, PhonebookEntry, PhonebookInput, PhonebookList, type PeerPresence } from '../contract/index.js';
import { NoContent, responses } from '../responses.js';

/** The presence of watched entries (RFC 3856); undefined for an entry that is not watched. */
export type PresenceOf = (phonebookId: string) => PeerPresence | undefined;

export function registerPhonebookRoutes(app: FastifyInstance, phonebook: Phonebook, links?: LinksPort, history?: CallHistory, presenceOf?: PresenceOf): void {
  const present = (e: StoredEntry): PhonebookEntry => {
    const presence = presenceOf?.(e.id);
    return {
      ...e,
      reachability: links?.reachability(e.id) ?? { reachable: null, rttMs: null, status: null, checkedAt: null },
      asr: history?.answerSeizureRatio(e.id) ?? { attempts: 0, answered: 0, asr: null },
      ...(presence !== undefined ? { presence } : {}),
    };
  };
  const get = (id: string) => {
    const e = phonebook.get(id);
    if (!e) throw new AcipError('NOT_FOUND', `no phonebook entry ${JSON.stringify(id)}`, 'id');
    return e;
  };
  const one = responses({ 200: PhonebookEntry });

  app.get<{ Reply: PhonebookList }>(
    '/api/phonebook',
    { schema: { tags: ['phonebook'], summary: 'Every entry, by name, with reachability and answer/seizure ratio', response: responses({ 200: PhonebookList }) } },
    async () => ({ entries: phonebook.list().map(present) }),
  );
  app.post<{ Body: PhonebookInput; Reply: PhonebookEntry }>(
    '/api/phonebook',
    { schema: { tags: ['phonebook'], summary: 'Add an entry', body: PhonebookInput, response: responses({ 201: PhonebookEntry }) } },
    async (req, reply) => {
      await reply.code(201).send(present(phonebook.create(req.body)));
    },
  );
  app.get<{ Params: IdParams; Reply: PhonebookEntry }>(
    '/api/phonebook/:id',
    { schema: { tags: ['phonebook'], summary: 'One entry', params: IdParams, response: one } },
    async (req) => present(get(req.params.id)),
  );
  app.put<{ Params: IdParams; Body: PhonebookInput; Reply: PhonebookEntry }>(
    '/api/phonebook/:id',
    { schema: { tags: ['phonebook'], summary: 'Replace an entry', params: IdParams, body: PhonebookInput, response: one } },
    async (req) => present(phonebook.update(req.params.id, req.body)),
  );
  app.delete<{ Params: IdParams }>(
    '/api/phonebook/:id',
    { schema: { tags: ['phonebook'], summary: 'Delete an entry', params: IdParams, response: responses({ 204: NoContent }) } },
    async (req, reply) => {
      phonebook.remove(req.params.id);
      await reply.code(204).send();
    },
  );
}
