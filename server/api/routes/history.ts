/** Call history as JSON (filterable) and as CSV. */
import type { FastifyInstance } from 'fastify';
import { historyToCsv, type CallHistory, type HistoryQuery as StoreQuery } from '../../store/call-history.js';
import { HistoryList, HistoryQuery } from '../contract/index.js';
import { responses, textBody } from '../responses.js';

function toStoreQuery(q: HistoryQuery): StoreQuery {
  const out: StoreQuery = {};
  if (q.remote) out.remote = q.remote;
  if (q.direction) out.direction = q.direction;
  if (q.phonebookId) out.phonebookId = q.phonebookId;
  if (q.since) out.since = q.since;
  if (q.until) out.until = q.until;
  if (q.answered) out.answered = q.answered === 'true';
  if (q.limit) out.limit = Number(q.limit);
  return out;
}

export function registerHistoryRoutes(app: FastifyInstance, history: CallHistory): void {
  app.get<{ Querystring: HistoryQuery; Reply: HistoryList }>(
    '/api/history',
    { schema: { tags: ['history'], summary: 'Calls, newest first, filtered', querystring: HistoryQuery, response: responses({ 200: HistoryList }) } },
    async (req) => ({ calls: history.query(toStoreQuery(req.query)) }),
  );
  app.get<{ Querystring: HistoryQuery }>(
    '/api/history.csv',
    { schema: { tags: ['history'], summary: 'Calls as a CSV download, filtered', querystring: HistoryQuery, response: responses({ 200: textBody('text/csv', 'Calls as CSV (RFC 4180): a header line, then one line per call') }) } },
    async (req, reply) => {
      await reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', 'attachment; filename="acip-history.csv"')
        .send(historyToCsv(history.query(toStoreQuery(req.query))));
    },
  );
}
