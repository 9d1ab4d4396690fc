/** The error body every failing route answers with. */
import { Type, type Static } from '@sinclair/typebox';

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable machine code, e.g. VALIDATION, NOT_FOUND, AUTH_REQUIRED' }),
    message: Type.String({ description: 'What went wrong, for a person' }),
    field: Type.Optional(Type.String({ description: 'The offending input (body path, parameter) when there is one' })),
  },
  { additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;
