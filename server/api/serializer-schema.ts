/**
 * Response schemas rewritten for the serializer only. fast-json-stringify cannot write an `anyOf`
 * directly: for each one it validates the value against every branch with ajv at run time, and it
 * compiles those validators on the first response that reaches them. A link snapshot holds dozens of
 * nullable fields and literal unions, so the first `GET /api/links` with a link in it blocked the event
 * loop for 200–500 ms, and with media on the same thread every live link splices its audio to recover.
 *
 * The contract keeps its unions (they give the `Static<>` types, `Value.Check` in the tests and the
 * OpenAPI document); only the copy handed to the serializer compiler is rewritten into forms it writes
 * without ajv:
 * - `anyOf: [X, {type: 'null'}]` → X with `type: [X.type, 'null']` (JSON Schema type arrays);
 * - `anyOf` of `const` values of one primitive type → that type with an `enum`;
 * - `anyOf` of bare primitive types (`{type: 'string'}`, `{type: 'number'}`, …) → a type array;
 * - `anyOf` of object shapes (a tagged union such as a fixed or adaptive jitter buffer) → one object
 *   holding every branch's properties, none required: the serializer writes the ones present.
 * Any other `anyOf` is left as it is. The rewrite is pure and keeps every other keyword.
 */
type Json = { [key: string]: unknown };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keywords whose value is a map of sub-schemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs'] as const;
/** Keywords whose value is one sub-schema. */
const SCHEMA_ONE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'] as const;
/** Keywords whose value is a list of sub-schemas. */
const SCHEMA_LISTS = ['anyOf', 'allOf', 'oneOf', 'prefixItems'] as const;

function isNullSchema(s: unknown): boolean {
  return isObject(s) && s.type === 'null' && Object.keys(s).every((k) => k === 'type' || k === 'description');
}

function typesOf(s: Json): string[] | undefined {
  if (typeof s.type === 'string') return [s.type];
  if (Array.isArray(s.type) && s.type.every((t) => typeof t === 'string')) return s.type as string[];
  return undefined;
}

/** A rewritten copy of `schema` (see the module comment); symbols (TypeBox's Kind) are dropped. */
export function serializerSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(serializerSchema);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if ((SCHEMA_MAPS as readonly string[]).includes(k) && isObject(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, serializerSchema(sub)]));
    } else if ((SCHEMA_ONE as readonly string[]).includes(k)) {
      out[k] = serializerSchema(v);
    } else if ((SCHEMA_LISTS as readonly string[]).includes(k) && Array.isArray(v)) {
      out[k] = v.map(serializerSchema);
    } else {
      out[k] = v;
    }
  }
  const branches = out.anyOf;
  if (!Array.isArray(branches)) return out;
  const { anyOf: _anyOf, ...rest } = out;

  // anyOf: [X, null]
  if (branches.length === 2 && branches.some(isNullSchema)) {
    const other = branches.find((b) => !isNullSchema(b));
    if (isObject(other) && other.anyOf === undefined) {
      const types = typesOf(other);
      if (types) return { ...rest, ...other, type: [...new Set([...types, 'null'])] };
    }
  }
  // anyOf of constants of one primitive type (TypeBox literal unions)
  if (branches.length > 0 && branches.every((b) => isObject(b) && 'const' in b && typeof b.type === 'string')) {
    const types = new Set(branches.map((b) => (b as Json).type as string));
    if (types.size === 1) return { ...rest, type: [...types][0], enum: branches.map((b) => (b as Json).const) };
  }
  // anyOf of bare primitive types
  const PRIMITIVES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
  if (branches.every((b) => isObject(b) && Object.keys(b).length === 1 && typeof b.type === 'string' && PRIMITIVES.has(b.type))) {
    return { ...rest, type: branches.map((b) => (b as Json).type as string) };
  }
  // anyOf of object shapes: one object with every branch's properties (same-named ones of one type)
  if (branches.length > 1 && branches.every((b) => isObject(b) && b.type === 'object' && isObject(b.properties))) {
    const merged: Json = {};
    for (const b of branches as Json[]) {
      for (const [name, sub] of Object.entries(b.properties as Json)) {
        const prev = merged[name];
        if (prev === undefined) merged[name] = sub;
        else if (JSON.stringify(prev) !== JSON.stringify(sub)) {
          const a = isObject(prev) ? typesOf(prev) : undefined;
          const c = isObject(sub) ? typesOf(sub) : undefined;
          if (!a || !c || a.join() !== c.join()) return out;
          merged[name] = { type: a.length === 1 ? a[0] : a };
        }
      }
    }
    return { ...rest, type: 'object', properties: merged };
  }
  return out;
}
