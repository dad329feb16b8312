import {
  actFor,
  actForContent,
  blockedEntry,
  perceiveFor,
  type AuditLog,
} from '@kibitz/capabilities'
import type { Mesh, MeshValue } from '@kibitz/mesh'
import {
  decodeContent,
  ErrorCode,
  KibitzError,
  MAX_APP_PAYLOAD_BYTES,
  stringifyJson,
  type ContentMessage,
  type JsonValue,
} from '@kibitz/protocol'
import type { GrantBook } from './grants.js'

/** What a send did: who got it, who was withheld from by their grant. */
export interface SendOutcome {
  sent: string[]
  /** Peers that may not perceive this content (it was never sent to them). */
  withheld: string[]
}

/** One accepted inbound item. */
export type Inbound =
  | { kind: 'content'; message: ContentMessage }
  /** Binary app data (`broadcast(bytes)` / `sendTo(id, bytes)`). */
  | { kind: 'binary'; data: Uint8Array }

export interface ContentPlaneDeps {
  mesh(): Mesh | null
  self(): string | null
  grants: GrantBook
  audit: AuditLog
  now(): number
  /** Diagnostics: an inbound frame that was malformed (the plane keeps running). */
  dropped(from: string, error: KibitzError): void
}

/**
 * The mesh's JSON limit for the content plane: the app payload limit plus the envelope around it
 * (`{"k":"app","data":…}` is 19 bytes), so app data is capped at exactly MAX_APP_PAYLOAD_BYTES with
 * no extra pass, and every other content kind (all far smaller) fits.
 */
export const APP_JSON_LIMIT = MAX_APP_PAYLOAD_BYTES + '{"k":"app","data":}'.length

/** The kind name binary app data is checked as (it is app data). */
const BINARY_KIND = 'app'

/**
 * The content plane over the mesh's data channels, with the grant enforced at both ends
 * (SPEC K6, K7): perceive by the sender (content is never sent to a peer that may not perceive
 * it), act by every receiver (content from a peer lacking the act is dropped and audited).
 */
export class ContentPlane {
  constructor(private readonly deps: ContentPlaneDeps) {}

  /**
   * Send to everyone (`to` absent) or one peer. Throws a typed error only for a caller mistake
   * (malformed or oversized content, FORBIDDEN when our own grant lacks the act); otherwise
   * returns who got it.
   */
  send(message: ContentMessage | Uint8Array, to?: string): SendOutcome {
    const binary = message instanceof Uint8Array
    const kind = binary ? BINARY_KIND : message.k
    this.#mayAct(kind, binary ? actFor(BINARY_KIND) : actForContent(message))
    const mesh = this.deps.mesh()
    if (!mesh) return validated(message, { sent: [], withheld: [] })
    const payload = binary ? message : (message as unknown as JsonValue)
    const need = perceiveFor(kind, to !== undefined)
    const outcome: SendOutcome = { sent: [], withheld: [] }
    const targets = to !== undefined ? [to] : mesh.connectedPeers()
    for (const id of targets) {
      if (need === null || this.deps.grants.can(id, need)) outcome.sent.push(id)
      else outcome.withheld.push(id)
    }
    if (outcome.sent.length === 0) return validated(message, outcome)
    if (to === undefined && outcome.withheld.length === 0) {
      // Everyone may perceive it: one encode for the whole room.
      mesh.broadcast(payload)
      return outcome
    }
    for (const id of outcome.sent) mesh.sendTo(id, payload)
    return outcome
  }

  /**
   * Throws FORBIDDEN (and audits it) when our own grant lacks the act for content `kind`: honest
   * peers would drop it anyway, and the caller (often an agent) deserves to know.
   */
  assertMayAct(kind: string): void {
    this.#mayAct(kind, actFor(kind))
  }

  #mayAct(kind: string, act: ReturnType<typeof actFor>): void {
    const self = this.deps.self()
    if (self === null || act === null || this.deps.grants.can(self, act)) return
    this.deps.audit.append(blockedEntry(this.deps.now(), self, act, kind))
    throw new KibitzError(ErrorCode.FORBIDDEN, `your grant lacks ${act}: ${kind} not sent`)
  }

  /** One inbound mesh message → an accepted item, or null (dropped, audited when blocked). */
  receive(value: MeshValue, from: string): Inbound | null {
    if (value instanceof Uint8Array) {
      return this.#allowed(from, actFor(BINARY_KIND), BINARY_KIND)
        ? { kind: 'binary', data: value }
        : null
    }
    if (isAppEnvelope(value)) {
      const message: ContentMessage = { k: 'app', data: value.data }
      return this.#allowed(from, actForContent(message), 'app')
        ? { kind: 'content', message }
        : null
    }
    const decoded = decodeContent(value)
    if (!decoded.ok) {
      this.deps.dropped(from, decoded.error)
      return null
    }
    // Additive evolution: a kind this build does not know is ignored, never an error.
    if (!decoded.value.known) return null
    const message = decoded.value.message
    return this.#allowed(from, actForContent(message), message.k)
      ? { kind: 'content', message }
      : null
  }

  #allowed(from: string, act: ReturnType<typeof actFor>, kind: string): boolean {
    if (act === null || this.deps.grants.can(from, act)) return true
    this.deps.audit.append(blockedEntry(this.deps.now(), from, act, kind))
    return false
  }
}

/**
 * Nothing was encoded (no link, or nobody may perceive it): check the content anyway, so a caller's
 * bad data is the same typed error whether or not anyone is listening.
 */
function validated(message: ContentMessage | Uint8Array, outcome: SendOutcome): SendOutcome {
  if (message instanceof Uint8Array) return outcome
  const r = stringifyJson(message, { maxBytes: APP_JSON_LIMIT })
  if (!r.ok) throw r.error
  return outcome
}

/** `{k: 'app', data}` as the mesh delivers JSON: parsed by its `parseJson`, hence already sanitized. */
function isAppEnvelope(value: MeshValue): value is { k: 'app'; data: JsonValue } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    value.k === 'app' &&
    value.data !== undefined
  )
}
