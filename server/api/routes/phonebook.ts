/** Phonebook CRUD, with each entry's reachability (OPTIONS probe) and answer/seizure ratio. */
import type { FastifyInstance } from 'fastify';
import type { LinksPort } from '../../links/links-port.js';
import { PhonebookInputSchema, type Phonebook, type PhonebookEntry, type PhonebookInput } from '../../store/phonebook.js';
import type { CallHistory } from '../../store/call-history.js';
import { AcipError } from '../../util/errors.js';
import { IdParams } from '../schemas.js';

export function registerPhonebookRoutes(app: FastifyInstance, phonebook: Phonebook, links?: LinksPort, history?: CallHistory): void {
  const present = (e: PhonebookEntry) => ({
    ...e,
    reachability: links?.reachability(e.id) ?? { reachable: null, rttMs: null, status: null, checkedAt: null },
    asr: history?.answerSeizureRatio(e.id) ?? { attempts: 0, answered: 0, asr: null },
  });
  const get = (id: string) => {
    const e = phonebook.get(id);
    if (!e) throw new AcipError('NOT_FOUND', `no phonebook entry ${JSON.stringify(id)}`, 'id');
    return e;
  };

  app.get('/api/phonebook', { schema: { tags: ['phonebook'] } }, async () => ({ entries: phonebook.list().map(present) }));
  app.post('/api/phonebook', { schema: { tags: ['phonebook'], body: PhonebookInputSchema } }, async (req, reply) => {
    await reply.code(201).send(present(phonebook.create(req.body as PhonebookInput)));
  });
  app.get('/api/phonebook/:id', { schema: { tags: ['phonebook'], params: IdParams } }, async (req) => present(get((req.params as IdParams).id)));
  app.put('/api/phonebook/:id', { schema: { tags: ['phonebook'], params: IdParams, body: PhonebookInputSchema } }, async (req) =>
    present(phonebook.update((req.params as IdParams).id, req.body as PhonebookInput)),
  );
  app.delete('/api/phonebook/:id', { schema: { tags: ['phonebook'], params: IdParams } }, async (req, reply) => {
    phonebook.remove((req.params as IdParams).id);
    await reply.code(204).send();
  });
}
