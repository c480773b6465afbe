import fc from 'fast-check'
import type { TSchema } from '@sinclair/typebox'

/**
 * fast-check generators of values that a TypeBox schema accepts, built from the schema itself (the JSON
 * Schema subset the command table uses: string, integer, boolean, null, const, anyOf, object, array).
 * Besides random values they draw from `dictionary`, edge values that pass a schema and have broken code
 * behind one before (a fuzzer's dictionary): every string the schema allows at its length.
 */

interface Schema {
  type?: string
  const?: unknown
  anyOf?: Schema[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  minItems?: number
  maxItems?: number
  minLength?: number
  maxLength?: number
  pattern?: string
  minimum?: number
  maximum?: number
}

const cursor = (text: string) => Buffer.from(text).toString('base64url')

/** Strings worth trying wherever a string of their length is allowed. */
export const EDGE_STRINGS: readonly string[] = [
  '', ' ', '\t\n', '\u0000', 'a\u0000b', '\uFEFF', '\uFEFFx', '\ud800', 'x\udc00', '\u202eabc', '😀', '👨‍👩‍👧',
  '0', '00', '-1', '1.5', '1e400', 'NaN', 'Infinity', 'null', 'true', '[]', '{}', '__proto__', 'constructor',
  "'; DROP TABLE messages; --", '%00', '%2e%2e', '../../etc/passwd',
  'https://example.com/a.jpg', 'http://127.0.0.1:1/push', 'http://localhost/x', 'https://', 'javascript:alert(1)',
  '/media/1', '/media/%2e%2e/x', '//evil.test/x', 'data:,x', 'file:///etc/passwd',
  // Times: normal, at the ends of what JavaScript, PostgreSQL and ISO 8601 can hold, and impossible ones.
  '2024-01-01T00:00:00.000Z', '2024-01-01T00:00Z', '0000-01-01T00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999+14:00',
  '2024-02-30T00:00Z', '2024-13-01T00:00Z', '2024-01-01T24:00Z', '2024-01-01T00:00+99:99', '1970-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00Z', '4714-11-24T00:00:00Z', '294276-01-01T00:00:00Z',
  // room_list cursors: `<microseconds>.<roomId>` in base64url, at and past the ends of bigint and timestamp.
  cursor('0.1'), cursor('-1.1'), cursor('9223372036854775807.1'), cursor('-9223372036854775808.1'),
  cursor('9223372036854775808.1'), cursor('99999999999999999999.999999999999999999'), cursor('1.'), '.', '0.1',
  // Push keys: base64url of the right and wrong sizes.
  Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url'), Buffer.alloc(16, 1).toString('base64url'),
  Buffer.alloc(65, 1).toString('base64url'), 'AAAA', '====',
  // Locales and other labels.
  'vi-VN', 'en', 'en-US-x-' + 'a'.repeat(27), 'zz'
]

/** U+0000, lone surrogates (high, low), a byte order mark, a right-to-left override. */
const AWKWARD_CHARACTERS: readonly string[] = ['\u0000', '\ud800', '\udfff', '\uFEFF', '\u202e']

/** Integers past the usual ranges that a JSON number can still carry as an integer. */
const EDGE_INTEGERS: readonly number[] = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 63, 1e21, 1e300, Number.MAX_VALUE]

export interface ArbitraryOptions {
  /** Extra values for the fields of these names (real ids, tokens that verify), drawn as often as the schema's own. */
  fieldValues?: Record<string, readonly unknown[]>
  /** Longest string drawn at random for a string without maxLength (edge strings and `long` aside). */
  maxRandomLength?: number
}

function stringOf (schema: Schema, options: ArbitraryOptions): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0
  const max = schema.maxLength
  const fits = (text: string) => text.length >= min && (max === undefined || text.length <= max)
  if (schema.pattern !== undefined) {
    const pattern = new RegExp(schema.pattern)
    return fc.oneof(fc.stringMatching(pattern), fc.constantFrom(...EDGE_STRINGS)).filter((text) => pattern.test(text) && fits(text))
  }
  const randomMax = Math.min(max ?? options.maxRandomLength ?? 200, options.maxRandomLength ?? 200)
  const edges = EDGE_STRINGS.filter(fits)
  const longest = max === undefined ? [] : ['x'.repeat(max), '😀'.repeat(Math.floor(max / 2))].filter(fits)
  const random = fc.string({ unit: 'binary', minLength: min, maxLength: Math.max(min, randomMax) })
  return fc.oneof(
    random.filter(fits),
    fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.max(min, randomMax) }).filter(fits),
    // Text with a character a database may not hold or a decoder may drop, somewhere in it.
    fc.tuple(random, fc.constantFrom(...AWKWARD_CHARACTERS), fc.nat()).map(([text, character, at]) => {
      const cut = text.length === 0 ? 0 : at % (text.length + 1)
      return text.slice(0, cut) + character + text.slice(cut)
    }).filter(fits),
    ...(edges.length + longest.length > 0 ? [fc.constantFrom(...edges, ...longest)] : [])
  )
}

function integerOf (schema: Schema): fc.Arbitrary<number> {
  const min = schema.minimum ?? Number.MIN_SAFE_INTEGER
  const max = schema.maximum ?? Number.MAX_VALUE
  const edges = EDGE_INTEGERS.flatMap((value) => [value, -value]).filter((value) => value >= min && value <= max)
  return fc.oneof(
    fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) }),
    fc.constantFrom(...edges)
  )
}

/** Values the schema accepts; `name` is the property the schema belongs to, for `fieldValues`. */
export function arbitraryOf (schema: TSchema, options: ArbitraryOptions = {}, name?: string): fc.Arbitrary<unknown> {
  const s = schema as Schema
  const own = ownArbitrary(s, options)
  const extra = name === undefined ? undefined : options.fieldValues?.[name]
  return extra === undefined || extra.length === 0 ? own : fc.oneof(own, fc.constantFrom(...extra))
}

function ownArbitrary (s: Schema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const)
  if (s.anyOf !== undefined) return fc.oneof(...s.anyOf.map((member) => arbitraryOf(member as TSchema, options)))
  switch (s.type) {
    case 'string': return stringOf(s, options)
    case 'integer': return integerOf(s)
    case 'boolean': return fc.boolean()
    case 'null': return fc.constant(null)
    case 'array': {
      const item = arbitraryOf(s.items as TSchema, options)
      return fc.array(item, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 10, 10) })
        .chain((items) => s.maxItems === undefined ? fc.constant(items) : fc.oneof(
          { weight: 9, arbitrary: fc.constant(items) },
          // Now and then the longest array the schema allows.
          { weight: 1, arbitrary: fc.array(item, { minLength: s.maxItems, maxLength: s.maxItems }) }
        ))
    }
    case 'object': {
      const properties = s.properties ?? {}
      const shape = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, arbitraryOf(value as TSchema, options, key)]))
      return fc.record(shape, { requiredKeys: (s.required ?? []).filter((key) => key in properties) })
    }
    default: throw new Error(`no generator for schema ${JSON.stringify(s).slice(0, 200)}`)
  }
}

/**
 * Frames near `examples` (requests known to succeed): one or two fields replaced by a value their schema
 * accepts, or, when optional, left out. A frame wrong in one field gets past the checks of the others, to
 * the code behind them, where random frames rarely reach.
 */
export function variationsOf (schema: TSchema, examples: ReadonlyArray<Record<string, unknown>>, options: ArbitraryOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const s = schema as Schema
  const properties = s.properties ?? {}
  const required = new Set(s.required ?? [])
  const fields = Object.keys(properties).filter((key) => key !== 'command')
  const valueOf = (key: string): fc.Arbitrary<unknown> => {
    const generated = arbitraryOf(properties[key] as TSchema, options, key)
    return required.has(key) ? generated : fc.oneof({ weight: 4, arbitrary: generated }, { weight: 1, arbitrary: fc.constant(ABSENT) })
  }
  if (fields.length === 0) return fc.constantFrom(...examples)
  return fc.tuple(fc.constantFrom(...examples), fc.uniqueArray(fc.constantFrom(...fields), { minLength: 1, maxLength: 2 }))
    .chain(([example, changed]) => fc.tuple(...changed.map(valueOf)).map((values) => {
      const frame: Record<string, unknown> = { ...example }
      changed.forEach((key, index) => {
        if (values[index] === ABSENT) delete frame[key]
        else frame[key] = values[index]
      })
      return frame
    }))
}

const ABSENT = Symbol('absent')
