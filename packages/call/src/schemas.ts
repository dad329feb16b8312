import { MAX_SCHEMAS_PER_PEER, type JsonValue, type SchemaMessage } from '@kibitz/protocol'

/** An app's self-description (schema discovery), as registered or as received. */
export interface AppSchemaEntry {
  name: string
  version: string
  schema: JsonValue
  /** Socket id of the participant that registered it. */
  from: string
  isSelf: boolean
}

/** Our own schemas at most (each is re-sent to every late joiner). */
export const MAX_OWN_SCHEMAS = 50
/** Everyone's schemas kept, in total. */
export const MAX_SCHEMAS_TOTAL = 200

/**
 * Schema discovery: what each participant's app says it speaks, keyed by (participant, name).
 * Registering again under a name replaces it. A peer's schemas go when the peer leaves.
 */
export class SchemaRegistry {
  readonly #own = new Map<string, SchemaMessage>()
  readonly #theirs = new Map<string, Map<string, SchemaMessage>>()

  /** Ours, as wire messages (re-sent to late joiners). */
  own(): SchemaMessage[] {
    return [...this.#own.values()]
  }

  /** False when the own-schema cap is reached for a new name. */
  register(message: SchemaMessage): boolean {
    if (!this.#own.has(message.name) && this.#own.size >= MAX_OWN_SCHEMAS) return false
    this.#own.set(message.name, message)
    return true
  }

  /** A peer's schema; false when it changed nothing or a cap refused it. */
  receive(from: string, message: SchemaMessage): boolean {
    let theirs = this.#theirs.get(from)
    const prev = theirs?.get(message.name)
    if (prev && prev.version === message.version && sameJson(prev.schema, message.schema))
      return false
    if (!prev) {
      if ((theirs?.size ?? 0) >= MAX_SCHEMAS_PER_PEER) return false
      if (this.#count() >= MAX_SCHEMAS_TOTAL) return false
    }
    if (!theirs) this.#theirs.set(from, (theirs = new Map()))
    theirs.set(message.name, message)
    return true
  }

  /** Keep only the schemas of these participants. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#theirs.keys()) if (!ids.has(id)) this.#theirs.delete(id)
  }

  list(self: string): AppSchemaEntry[] {
    const out: AppSchemaEntry[] = []
    for (const m of this.#own.values()) out.push(entry(m, self, true))
    for (const [from, theirs] of this.#theirs) {
      for (const m of theirs.values()) out.push(entry(m, from, false))
    }
    return out
  }

  #count(): number {
    let n = 0
    for (const theirs of this.#theirs.values()) n += theirs.size
    return n
  }
}

function entry(m: SchemaMessage, from: string, isSelf: boolean): AppSchemaEntry {
  return { name: m.name, version: m.version, schema: m.schema as JsonValue, from, isSelf }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
