/**
 * dynalite's request type checks (`validations/index.js` `checkTypes`, dynalite 4, Apache-2.0), with
 * the same walk, results, mutation of the request and error texts, minus two costs it pays for
 * every value of every request (decision 56):
 * - each value's type name (`'AttrStruct<ValueStruct>'`, `'Map<AttributeValue>'`, …) was split by
 *   a regular expression; the split is kept per name here (a handful of names, from dynalite's own
 *   operation specs);
 * - each attribute value built a fresh type object for its `AttrStruct` (ten children), and each
 *   child type given by name a `{ type: name }` wrapper: one per subtype here, made once, and the
 *   name checked as it is.
 * On the webhooks bench these checks were about half of dynalite's validation of a claim-shaped
 * PutItem (~45 of 90 µs), on the runtime's main thread. `test/runtime/dynalite-types.test.ts`
 * compares this port with dynalite's own function on generated requests for every operation.
 */

type TypeSpec = string | { type?: string; children?: unknown; [k: string]: unknown };
type Types = Record<string, TypeSpec>;

interface TypeError400 extends Error {
  statusCode: number;
  body: { __type: string; Message: string };
}

const typeError = (msg: string): TypeError400 => {
  const err = new Error(msg) as TypeError400;
  err.statusCode = 400;
  err.body = { __type: 'com.amazon.coral.service#SerializationException', Message: msg };
  return err;
};

/** A type name split as dynalite's `/(.+?)<(.+)>$/` splits it, kept per name. */
const parsed = new Map<string, { type: string; subtype: string | undefined }>();
const parse = (name: string) => {
  let p = parsed.get(name);
  if (!p) {
    const m = name.match(/(.+?)<(.+)>$/);
    p = m ? { type: m[1]!, subtype: m[2] } : { type: name, subtype: undefined };
    parsed.set(name, p);
  }
  return p;
};

const ATTRIBUTE_CHILDREN = {
  S: 'String',
  B: 'Blob',
  N: 'String',
  BOOL: 'Boolean',
  NULL: 'Boolean',
  BS: { type: 'List', children: 'Blob' },
  NS: { type: 'List', children: 'String' },
  SS: { type: 'List', children: 'String' },
  L: { type: 'List', children: 'AttrStruct<ValueStruct>' },
  M: { type: 'Map<AttributeValue>', children: 'AttrStruct<ValueStruct>' },
};
/** `AttrStruct<X>` is checked as `{ type: 'X<AttributeValue>', children: ATTRIBUTE_CHILDREN }`. */
const attrStructs = new Map<string, TypeSpec>();
const attrStruct = (subtype: string | undefined): TypeSpec => {
  const key = String(subtype);
  let spec = attrStructs.get(key);
  if (!spec) {
    spec = { type: `${subtype}<AttributeValue>`, children: ATTRIBUTE_CHILDREN };
    attrStructs.set(key, spec);
  }
  return spec;
};

/** Checks `data` against an operation's `types` as dynalite does; returns the checked copy. */
export function checkTypes(data: Record<string, unknown>, types: Types): Record<string, unknown> {
  for (const key in data) {
    if (!types[key] || data[key] == null) delete data[key];
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(types)) {
    const val = checkType(data[key], types[key]!);
    if (val != null) out[key] = val;
  }
  return out;
}

function checkType(val: unknown, spec: TypeSpec): unknown {
  if (val == null) return null;
  // dynalite wraps a child type given by name as `{ type: name }`; the name alone checks the same
  const children = typeof spec === 'string' ? undefined : spec.children;
  const name = typeof spec === 'string' ? spec : spec.type ? spec.type : (spec as unknown as string);
  const { type, subtype } = parse(name);

  if (type === 'AttrStruct') return checkType(val, attrStruct(subtype));

  switch (type) {
    case 'Boolean':
      switch (typeof val) {
        case 'number':
          throw typeError(
            `${val % 1 === 0 ? 'NUMBER_VALUE' : 'DECIMAL_VALUE'} cannot be converted to ${type}`,
          );
        case 'string': {
          const upper = val.toUpperCase();
          if (['TRUE', '1', 'YES'].includes(upper)) return true;
          if (['FALSE', '0', 'NO'].includes(upper)) return false;
          throw typeError('Unexpected token received from parser');
        }
        case 'object':
          if (Array.isArray(val)) throw typeError(`Unrecognized collection type class java.lang.${type}`);
          throw typeError('Start of structure or map found where not expected');
      }
      return val;
    case 'Short':
    case 'Integer':
    case 'Long':
    case 'Double':
      switch (typeof val) {
        case 'boolean':
          throw typeError(`${val ? 'TRUE_VALUE' : 'FALSE_VALUE'} cannot be converted to ${type}`);
        case 'number':
          return type !== 'Double' ? Math.floor(val) : val;
        case 'string':
          throw typeError(`STRING_VALUE cannot be converted to ${type}`);
        case 'object':
          if (Array.isArray(val)) throw typeError(`Unrecognized collection type class java.lang.${type}`);
          throw typeError('Start of structure or map found where not expected');
      }
      return val;
    case 'String':
      switch (typeof val) {
        case 'boolean':
          throw typeError(`${val ? 'TRUE_VALUE' : 'FALSE_VALUE'} cannot be converted to ${type}`);
        case 'number':
          throw typeError(
            `${val % 1 === 0 ? 'NUMBER_VALUE' : 'DECIMAL_VALUE'} cannot be converted to ${type}`,
          );
        case 'object':
          if (Array.isArray(val)) throw typeError(`Unrecognized collection type class java.lang.${type}`);
          throw typeError('Start of structure or map found where not expected');
      }
      return val;
    case 'Blob': {
      switch (typeof val) {
        case 'boolean':
        case 'number':
          throw typeError('only base-64-encoded strings are convertible to bytes');
        case 'object':
          if (Array.isArray(val)) throw typeError('Unrecognized collection type class java.nio.ByteBuffer');
          throw typeError('Start of structure or map found where not expected');
      }
      const text = val as string;
      if (text.length % 4)
        throw typeError(`Base64 encoded length is expected a multiple of 4 bytes but found: ${text.length}`);
      if (Buffer.from(text, 'base64').toString('base64') !== text)
        throw typeError('Invalid last non-pad Base64 character dectected');
      return val;
    }
    case 'List':
    case 'ParameterizedList':
      if (isScalar(val)) throw typeError(type === 'List' ? 'Unexpected field type' : PARAMETERIZED);
      if (!Array.isArray(val)) throw typeError('Start of structure or map found where not expected');
      return val.map((child) => checkType(child, children as TypeSpec));
    case 'ParameterizedMap':
    case 'Map': {
      if (isScalar(val)) throw typeError(type === 'Map' ? 'Unexpected field type' : PARAMETERIZED);
      if (Array.isArray(val)) {
        const sub = type === 'Map' ? (subtype as string) : 'AttributeValue';
        throw typeError(
          `Unrecognized collection type java.util.Map<java.lang.String, ${sub.includes('.') ? sub : `com.amazonaws.dynamodb.v20120810.${sub}`}>`,
        );
      }
      return mapValues(val as Record<string, unknown>, children as TypeSpec);
    }
    case 'ValueStruct':
    case 'FieldStruct':
      if (isScalar(val))
        throw typeError(
          type === 'ValueStruct' ? 'Unexpected value type in payload' : 'Unexpected field type',
        );
      if (Array.isArray(val))
        throw typeError(`Unrecognized collection type class com.amazonaws.dynamodb.v20120810.${subtype}`);
      return checkTypes(val as Record<string, unknown>, children as Types);
    default:
      throw new Error(`Unknown type: ${type}`);
  }
}

/** What dynalite's containers refuse with their "scalar" message (it switches on these three). */
const isScalar = (val: unknown) =>
  typeof val === 'boolean' || typeof val === 'number' || typeof val === 'string';

const PARAMETERIZED =
  "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of loader 'bootstrap')";

const mapValues = (val: Record<string, unknown>, children: TypeSpec) => {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(val)) out[key] = checkType(val[key], children);
  return out;
};
