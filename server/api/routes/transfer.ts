/**
 * Call transfer of a link (REFER, RFC 3515): POST /api/links/:id/transfer asks the far end of the
 * link to call `to` (a phonebook entry id or a sip:/sips: URI) instead; the answer carries the
 * REFER's final SIP status (202: the far end accepted and will try, and hangs the link up once
 * its new call connects). With `replacesLink` instead of `to` it is an attended transfer (RFC 3891
 * §7.1): the far end calls the far end of that other link, replacing its call, and both links end
 * once the far end reports success.
 */
import type { FastifyInstance } from 'fastify';
import { AcipError } from '../../util/errors.js';
import { IdParams, TransferBody, TransferResult } from '../contract/index.js';
import { responses } from '../responses.js';

export interface TransferPort {
  /** Rejects with AcipError NOT_FOUND (field id or to), VALIDATION (field to) or CONFLICT (no live call on the link). */
  transfer(linkId: string, to: string): Promise<TransferResult>;
  /**
   * Attended transfer: rejects with AcipError NOT_FOUND or CONFLICT naming `id` or `replacesLink`,
   * VALIDATION (field replacesLink) when it names the link itself. Absent: attended transfer is not offered.
   */
  attendedTransfer?(linkId: string, replacesLink: string): Promise<TransferResult>;
}

/** Exactly one of `to` and `replacesLink`; which port call it makes. */
function dispatch(port: TransferPort, id: string, body: TransferBody): Promise<TransferResult> {
  if (body.to !== undefined && body.replacesLink !== undefined) {
    throw new AcipError('VALIDATION', 'replacesLink: give either to (blind transfer) or replacesLink (attended transfer), not both', 'replacesLink');
  }
  if (body.replacesLink !== undefined) {
    if (!port.attendedTransfer) throw new AcipError('VALIDATION', 'replacesLink: attended transfer is not available', 'replacesLink');
    return port.attendedTransfer(id, body.replacesLink);
  }
  if (body.to === undefined) throw new AcipError('VALIDATION', 'to: required (or replacesLink for an attended transfer)', 'to');
  return port.transfer(id, body.to);
}

export function registerTransferRoutes(app: FastifyInstance, port: TransferPort): void {
  app.post<{ Params: IdParams; Body: TransferBody; Reply: TransferResult }>(
    '/api/links/:id/transfer',
    {
      schema: {
        tags: ['links'],
        summary: 'Hand the link over: ask the far end (REFER) to call another studio, or the far end of another link (attended)',
        params: IdParams,
        body: TransferBody,
        response: responses({ 200: TransferResult }),
      },
    },
    async (req) => dispatch(port, req.params.id, req.body),
  );
}
