/**
 * Response maps for route schemas: the success body by status, and the contract's error body for
 * every 4xx and 5xx (validation, auth, not found, conflicts, failures). fastify serializes replies
 * with these schemas and @fastify/swagger documents them.
 */
import { Type, type TSchema, type TString } from '@sinclair/typebox';
import { ErrorBody } from './contract/index.js';

/** A body that is text of one media type, sent as it is (not serialized as JSON). */
export interface TextBody {
  description: string;
  content: Record<string, { schema: TString }>;
}

export function textBody(mediaType: string, description: string): TextBody {
  return { description, content: { [mediaType]: { schema: Type.String() } } };
}

export function responses<R extends Record<number, TSchema | TextBody>>(ok: R): R & { '4xx': typeof ErrorBody; '5xx': typeof ErrorBody } {
  return { ...ok, '4xx': ErrorBody, '5xx': ErrorBody };
}

/** A 204 answer: no body. */
export const NoContent = Type.Null({ description: 'No content' });
