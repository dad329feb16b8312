import * as z from 'zod/mini'
import { parseWithSchema } from './codec.js'
import { ErrorCode } from './errors.js'
import { opaqueJson } from './fields.js'
import type { JsonValue } from './json.js'
import { MAX_APP_PAYLOAD_BYTES, MAX_CHAT_CHARS, MAX_KIND_CHARS } from './limits.js'
import { fail, ok, type Decoded, type Result } from './result.js'

/**
 * The agent envelope: a tiny vocabulary carried inside content `app` data under the reserved key
 * `__kib_agent`. Everything without that key is raw app data, delivered to apps verbatim.
 *
 * | `__kib_agent` | direction   | payload    |
 * |---------------|-------------|------------|
 * | `chat`        | both        | `{ text }` |
 * | `view`        | app → agent | `{ view }` |
 * | `act`         | agent → app | `{ action }` |
 */

export const AGENT_KEY = '__kib_agent'

export const AgentChatSchema = z.object({
  __kib_agent: z.literal('chat'),
  text: z.string().check(z.maxLength(MAX_CHAT_CHARS)),
})
/** An app-state snapshot for agents to perceive (opaque JSON). */
export const AgentViewSchema = z.object({
  __kib_agent: z.literal('view'),
  view: opaqueJson(MAX_APP_PAYLOAD_BYTES),
})
/** An action request the app may honor or ignore (opaque JSON). */
export const AgentActSchema = z.object({
  __kib_agent: z.literal('act'),
  action: opaqueJson(MAX_APP_PAYLOAD_BYTES),
})

export type AgentChat = z.infer<typeof AgentChatSchema>
export type AgentView = z.infer<typeof AgentViewSchema>
export type AgentAct = z.infer<typeof AgentActSchema>
export type AgentEnvelope = AgentChat | AgentView | AgentAct
export type AgentKind = AgentEnvelope['__kib_agent']

const schemas = new Map<string, z.ZodMiniType<AgentEnvelope, unknown>>([
  ['chat', AgentChatSchema],
  ['view', AgentViewSchema],
  ['act', AgentActSchema],
])

export const AGENT_KINDS: readonly string[] = [...schemas.keys()]

/** Read the envelope key without trusting the value (getters, proxies). */
function readAgentKey(data: unknown): { present: false } | { present: true; kind: unknown } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { present: false }
  const desc = Object.getOwnPropertyDescriptor(data, AGENT_KEY)
  if (!desc) return { present: false }
  return { present: true, kind: 'value' in desc ? desc.value : undefined }
}

/**
 * Classify `app` data.
 * - `ok(null)`: raw app data (no `__kib_agent` key) — deliver it verbatim;
 * - `ok({ known: false, kind })`: an envelope kind this build does not know — ignore it;
 * - `ok({ known: true, message })`: a valid envelope;
 * - `ok: false`: `__kib_agent` present but not a valid kind string, or a known kind with bad
 *   fields (BAD_MESSAGE / TOO_LARGE).
 * Never throws.
 */
export function decodeAgentEnvelope(data: unknown): Result<Decoded<AgentEnvelope> | null> {
  let key: ReturnType<typeof readAgentKey>
  try {
    key = readAgentKey(data)
  } catch (cause) {
    return fail(ErrorCode.BAD_MESSAGE, 'agent data could not be read', cause)
  }
  if (!key.present) return ok(null)
  const kind = key.kind
  if (typeof kind !== 'string' || kind.length === 0 || kind.length > MAX_KIND_CHARS) {
    return fail(
      ErrorCode.BAD_MESSAGE,
      `${AGENT_KEY} must be a string of 1..${MAX_KIND_CHARS} chars`,
    )
  }
  const schema = schemas.get(kind)
  if (!schema) return ok({ known: false, kind })
  const parsed = parseWithSchema(schema, data, `agent '${kind}'`)
  return parsed.ok ? ok({ known: true, message: parsed.value }) : parsed
}

export function agentChat(text: string): AgentChat {
  return { __kib_agent: 'chat', text }
}
export function agentView(view: JsonValue): AgentView {
  return { __kib_agent: 'view', view }
}
export function agentAct(action: JsonValue): AgentAct {
  return { __kib_agent: 'act', action }
}
