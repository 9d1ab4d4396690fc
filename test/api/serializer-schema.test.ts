import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import * as C from '../../server/api/contract/index.js';
import { Nullable } from '../../server/api/contract/common.js';
import { serializerSchema } from '../../server/api/serializer-schema.js';

const plain = (s: unknown) => JSON.parse(JSON.stringify(s));

describe('response schemas rewritten for the serializer', () => {
  it.each([
    ['a nullable number', Nullable(Type.Number()), { type: ['number', 'null'] }],
    ['a nullable object keeps its properties', Nullable(Type.Object({ a: Type.String() })), { type: ['object', 'null'], properties: { a: { type: 'string' } }, required: ['a'] }],
    ['a literal union becomes an enum', Type.Union([Type.Literal('a'), Type.Literal('b')]), { type: 'string', enum: ['a', 'b'] }],
    ['a nullable literal union', Nullable(Type.Union([Type.Literal('x'), Type.Literal('y')])), { type: ['string', 'null'], enum: ['x', 'y'] }],
    ['a union of bare primitives', Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { type: ['string', 'number', 'boolean'] }],
  ])('writes %s without anyOf', (_what, schema, expected) => {
    expect(plain(serializerSchema(schema))).toEqual(expected);
  });

  it('writes a tagged union of objects as one object with every property, none required', () => {
    const s = Type.Union([Type.Object({ mode: Type.Literal('fixed'), delayMs: Type.Number() }), Type.Object({ mode: Type.Literal('adaptive'), minMs: Type.Number() })]);
    expect(plain(serializerSchema(s))).toEqual({ type: 'object', properties: { mode: { type: 'string' }, delayMs: { type: 'number' }, minMs: { type: 'number' } } });
  });

  it('leaves a union whose branches give one property two types as anyOf', () => {
    const s = Type.Union([Type.Object({ a: Type.String() }), Type.Object({ a: Type.Number() })]);
    expect(plain(serializerSchema(s))).toHaveProperty('anyOf');
  });

  it('does not change the schema it is given', () => {
    const s = Type.Object({ v: Nullable(Type.Number()) });
    const before = plain(s);
    serializerSchema(s);
    expect(plain(s)).toEqual(before);
  });

  // fast-json-stringify validates every anyOf with ajv at run time and compiles those validators on the
  // first response through them: a stall of the thread that also runs media. No contract schema may
  // leave one for the serializer (the live feed is written with JSON.stringify, not by fastify).
  const schemas = Object.entries(C).filter(([name, v]) => typeof v === 'object' && v !== null && ('type' in v || 'anyOf' in v) && !name.startsWith('Live'));
  it.each(schemas)(
    'leaves no anyOf in the serializer copy of %s',
    (_name, schema) => {
      expect(JSON.stringify(serializerSchema(schema))).not.toContain('"anyOf"');
    },
  );
});
