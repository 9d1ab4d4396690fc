/**
 * Call transfer of a link (REFER, RFC 3515): POST /api/links/:id/transfer asks the far end of the
 * link to call `to` (a phonebook entry id or a sip:/sips: URI) instead; the answer carries the
 * REFER's final SIP status (202: the far end accepted and will try, and hangs the link up once
 * its new call connects).
 */
import type { FastifyInstance } from 'fastify';
import { IdParams, TransferBody, TransferResult } from '../contract/index.js';
import { responses } from '../responses.js';

export interface TransferPort {
  /** Rejects with AcipError NOT_FOUND (field id or to), VALIDATION (field to) or CONFLICT (no live call on the link). */
  transfer(linkId: string, to: string): Promise<TransferResult>;
}

export function registerTransferRoutes(app: FastifyInstance, port: TransferPort): void {
  app.post<{ Params: IdParams; Body: TransferBody; Reply: TransferResult }>(
    '/api/links/:id/transfer',
    {
      schema: {
        tags: ['links'],
        summary: 'Hand the link over: ask the far end (REFER) to call another studio instead',
        params: IdParams,
        body: TransferBody,
        response: responses({ 200: TransferResult }),
      },
    },
    async (req) => port.transfer(req.params.id, req.body.to),
  );
}
