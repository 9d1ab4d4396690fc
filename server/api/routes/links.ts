/** Links: list, dial, inspect, hang up, and answer or reject inbound calls waiting for a manual answer. */
import type { FastifyInstance } from 'fastify';
import { AcipError } from '../../util/errors.js';
import type { LinksPort } from '../../links/links-port.js';
import { ChangeProfileBody, DialBody, IdParams } from '../schemas.js';

export function registerLinkRoutes(app: FastifyInstance, links: LinksPort): void {
  const get = (id: string) => {
    const l = links.get(id);
    if (!l) throw new AcipError('NOT_FOUND', `no link ${JSON.stringify(id)}`, 'id');
    return l;
  };

  app.get('/api/links', { schema: { tags: ['links'], summary: 'Every link with its live state and statistics' } }, async () => ({ links: links.list() }));

  app.post('/api/links', { schema: { tags: ['links'], summary: 'Dial a remote studio', body: DialBody } }, async (req, reply) => {
    const link = links.dial(req.body as DialBody);
    await reply.code(201).send(link);
  });

  app.get('/api/links/:id', { schema: { tags: ['links'], params: IdParams } }, async (req) => get((req.params as IdParams).id));

  app.delete('/api/links/:id', { schema: { tags: ['links'], summary: 'Hang up (BYE, or CANCEL while ringing)', params: IdParams } }, async (req) => {
    const { id } = req.params as IdParams;
    get(id);
    return links.hangup(id);
  });

  app.post('/api/links/:id/answer', { schema: { tags: ['links'], summary: 'Answer an inbound call waiting for a manual answer', params: IdParams } }, async (req) =>
    links.answer((req.params as IdParams).id),
  );

  app.post(
    '/api/links/:id/profile',
    { schema: { tags: ['links'], summary: 'Change codec mid-call: re-INVITE with the named profile', params: IdParams, body: ChangeProfileBody } },
    async (req) => links.changeProfile((req.params as IdParams).id, (req.body as ChangeProfileBody).profile),
  );

  app.post('/api/links/:id/reject', { schema: { tags: ['links'], summary: 'Reject an inbound call waiting for a manual answer', params: IdParams } }, async (req) =>
    links.reject((req.params as IdParams).id),
  );

  app.get('/api/alarms', { schema: { tags: ['alarms'] } }, async () => ({ alarms: links.alarms() }));
  app.post('/api/alarms/:id/ack', { schema: { tags: ['alarms'], params: IdParams } }, async (req) => links.ackAlarm((req.params as IdParams).id));
}
