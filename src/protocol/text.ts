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

/** Checks one value at `parent + suffix` (joined only when needed), adding to `errors`, made on the first problem. */
type TextCheck = (value: unknown, parent: string, suffix: string, errors: FieldError[] | undefined) => FieldError[] | undefined

const NO_ERRORS: readonly FieldError[] = Object.freeze([])

/**
 * Every string of a request that its schema knows of (extra fields are ignored, so they are not read),
 * checked with `textProblem`: whatever field a string sits in, it may reach the database. The schema
 * must already have accepted the value. Compiled once per schema: a request with nothing wrong costs no
 * allocation, as this runs on every command.
 */
export function compileTextCheck (schema: unknown): (value: unknown) => readonly FieldError[] {
  const check = compileNode(schema as SchemaNode)
  return (value) => check(value, '', '', undefined) ?? NO_ERRORS
}

function compileNode (node: SchemaNode): TextCheck {
  // A union's members are tried in turn; the shapes of ours never overlap.
  const shapes = node.anyOf ?? [node]
  const itemsNode = shapes.find((shape) => shape.items !== undefined)?.items
  const propertyNodes = Object.entries(shapes.find((shape) => shape.properties !== undefined)?.properties ?? {})
  // Compiled on first use: a schema is walked only as deep as requests go.
  let items: TextCheck | undefined
  let fields: Array<[key: string, suffix: string, check: TextCheck]> | undefined
  return (value, parent, suffix, errors) => {
    if (typeof value === 'string') {
      const problem = textProblem(value)
      if (problem !== undefined) (errors ??= []).push({ path: parent + suffix, message: problem })
      return errors
    }
    if (typeof value !== 'object' || value === null) return errors
    const path = parent + suffix
    if (Array.isArray(value)) {
      if (itemsNode === undefined) return errors
      items ??= compileNode(itemsNode)
      for (let index = 0; index < value.length; index++) errors = items(value[index], path, `/${index}`, errors)
      return errors
    }
    fields ??= propertyNodes.map(([key, property]) => [key, `/${key}`, compileNode(property)])
    for (const [key, keySuffix, check] of fields) {
      if (Object.hasOwn(value, key)) errors = check((value as Record<string, unknown>)[key], path, keySuffix, errors)
    }
    return errors
  }
}
