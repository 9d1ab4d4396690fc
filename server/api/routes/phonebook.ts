/** Phonebook CRUD, with each entry's reachability (OPTIONS probe) and answer/seizure ratio. */
import type { FastifyInstance } from 'fastify';
import type { LinksPort } from '../../links/links-port.js';
import type { Phonebook, PhonebookEntry as StoredEntry } from '../../store/phonebook.js';
import type { CallHistory } from '../../store/call-history.js';
import { AcipError } from '../../util/errors.js';
import { IdParams, PhonebookEntry, PhonebookInput, PhonebookList } from '../contract/index.js';
import { NoContent, responses } from '../responses.js';

export function registerPhonebookRoutes(app: FastifyInstance, phonebook: Phonebook, links?: LinksPort, history?: CallHistory): void {
  const present = (e: StoredEntry): PhonebookEntry => ({
    ...e,
    reachability: links?.reachability(e.id) ?? { reachable: null, rttMs: null, status: null, checkedAt: null },
    asr: history?.answerSeizureRatio(e.id) ?? { attempts: 0, answered: 0, asr: null },
  });
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
