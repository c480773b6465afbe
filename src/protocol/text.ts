import type { FieldError } from './errors.js'

/**
 * Problems with a piece of text that PostgreSQL could not store faithfully: U+0000 cannot be held in
 * `text` (nor in a JSON string the database parses), and a lone surrogate would be replaced by U+FFFD or
 * refused. Both are refused, never altered.
 */
export function textProblem (text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain U+0000'
  if (!text.isWellFormed()) return 'must be well-formed Unicode (no lone surrogates)'
  return undefined
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  anyOf?: SchemaNode[]
}

/**
 * Every string of a request that its schema knows of (extra fields are ignored, so they are not read),
 * checked with `textProblem`: whatever field a string sits in, it may reach the database. The schema
 * must already have accepted the value.
 */
export function unstorableText (schema: unknown, value: unknown, path = ''): FieldError[] {
  if (typeof value === 'string') {
    const problem = textProblem(value)
    return problem === undefined ? [] : [{ path, message: problem }]
  }
  if (typeof value !== 'object' || value === null) return []
  const node = schema as SchemaNode
  // A union's members are tried in turn; the shapes of ours never overlap.
  const shapes = node.anyOf ?? [node]
  const errors: FieldError[] = []
  if (Array.isArray(value)) {
    const items = shapes.find((shape) => shape.items !== undefined)?.items
    if (items !== undefined) value.forEach((item, index) => errors.push(...unstorableText(items, item, `${path}/${index}`)))
    return errors
  }
  const properties = shapes.find((shape) => shape.properties !== undefined)?.properties ?? {}
  for (const [key, property] of Object.entries(properties)) {
    if (Object.hasOwn(value, key)) errors.push(...unstorableText(property, (value as Record<string, unknown>)[key], `${path}/${key}`))
  }
  return errors
}
