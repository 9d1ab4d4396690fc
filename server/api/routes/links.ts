/** Links: list, dial, inspect, hang up, and answer or reject inbound calls waiting for a manual answer. */
import type { FastifyInstance } from 'fastify';
import { AcipError } from '../../util/errors.js';
import type { LinksPort } from '../../links/links-port.js';
import { Alarm, AlarmList, ChangeProfileBody, DialBody, IdParams, LinkList, LinkSnapshot } from '../contract/index.js';
import { responses } from '../responses.js';

export function registerLinkRoutes(app: FastifyInstance, links: LinksPort): void {
  const get = (id: string) => {
    const l = links.get(id);
    if (!l) throw new AcipError('NOT_FOUND', `no link ${JSON.stringify(id)}`, 'id');
    return l;
  };
  const one = responses({ 200: LinkSnapshot });

  app.get<{ Reply: LinkList }>(
    '/api/links',
    { schema: { tags: ['links'], summary: 'Every link with its live state and statistics', response: responses({ 200: LinkList }) } },
    async () => ({ links: links.list() }),
  );

  app.post<{ Body: DialBody; Reply: LinkSnapshot }>(
    '/api/links',
    { schema: { tags: ['links'], summary: 'Dial a remote studio', body: DialBody, response: responses({ 201: LinkSnapshot }) } },
    async (req, reply) => {
      await reply.code(201).send(links.dial(req.body));
    },
  );

  app.get<{ Params: IdParams; Reply: LinkSnapshot }>(
    '/api/links/:id',
    { schema: { tags: ['links'], summary: 'One link with its live state and statistics', params: IdParams, response: one } },
    async (req) => get(req.params.id),
  );

  app.delete<{ Params: IdParams; Reply: LinkSnapshot }>(
    '/api/links/:id',
    { schema: { tags: ['links'], summary: 'Hang up (BYE, or CANCEL while ringing)', params: IdParams, response: one } },
    async (req) => {
      get(req.params.id);
      return links.hangup(req.params.id);
    },
  );

  app.post<{ Params: IdParams; Reply: LinkSnapshot }>(
    '/api/links/:id/answer',
    { schema: { tags: ['links'], summary: 'Answer an inbound call waiting for a manual answer', params: IdParams, response: one } },
    async (req) => links.answer(req.params.id),
  );

  app.post<{ Params: IdParams; Body: ChangeProfileBody; Reply: LinkSnapshot }>(
    '/api/links/:id/profile',
    {
      schema: {
        tags: ['links'],
        summary: 'Change codec mid-call: re-INVITE with the named profile',
        params: IdParams,
        body: ChangeProfileBody,
        response: one,
      },
    },
    async (req) => links.changeProfile(req.params.id, req.body.profile),
  );

  app.post<{ Params: IdParams; Reply: LinkSnapshot }>(
    '/api/links/:id/reject',
    { schema: { tags: ['links'], summary: 'Reject an inbound call waiting for a manual answer', params: IdParams, response: one } },
    async (req) => links.reject(req.params.id),
  );

  app.get<{ Reply: AlarmList }>(
    '/api/alarms',
    { schema: { tags: ['alarms'], summary: 'Alarms, newest first', response: responses({ 200: AlarmList }) } },
    async () => ({ alarms: links.alarms() }),
  );

  app.post<{ Params: IdParams; Reply: Alarm }>(
    '/api/alarms/:id/ack',
    { schema: { tags: ['alarms'], summary: 'Acknowledge an alarm', params: IdParams, response: responses({ 200: Alarm }) } },
    async (req) => links.ackAlarm(req.params.id),
  );
}
