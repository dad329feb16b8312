import * as z from 'zod/mini'
import { openUnion } from './codec.js'
import { IdSchema, JwtSchema, NameSchema, TimestampSchema, opaqueJson } from './fields.js'
import { GrantMapSchema } from './grants.js'
import { ColorSchema, InkEventSchema } from './ink.js'
import {
  MAX_APP_PAYLOAD_BYTES,
  MAX_CHAT_CHARS,
  MAX_CONTENT_MESSAGE_BYTES,
  MAX_PAY_LABEL_CHARS,
  MAX_PAY_URL_CHARS,
  MAX_SCHEMA_BYTES,
  MAX_SCHEMA_NAME_CHARS,
  MAX_SCHEMA_VERSION_CHARS,
} from './limits.js'
import { isAllowedPayUrl } from './pay.js'
import type { Decoded, Result } from './result.js'
import {
  TransferBeginSchema,
  TransferCancelSchema,
  TransferChunkSchema,
  TransferEndSchema,
} from './transfer.js'

/**
 * The content plane: peer ↔ peer over data channels (DTLS end to end). Discriminator: `k`.
 * The sender is always the data channel's peer id, resolved to a name from the roster — never a
 * field of the payload (SPEC P9). Directed delivery means sending to one peer; `dm` only tells the
 * UI how to render it. A whole message is ≤ MAX_CONTENT_MESSAGE_BYTES as JSON.
 */

/** A chat line. */
export const ChatSchema = z.object({
  k: z.literal('chat'),
  text: z.string().check(z.maxLength(MAX_CHAT_CHARS)),
  /** Rendered as a direct message (it was sent to one peer). */
  dm: z.optional(z.boolean()),
  /** Message id (dedupe, reactions). */
  mid: z.optional(IdSchema),
  /** Sender's clock, ms since the epoch (display only). */
  ts: z.optional(TimestampSchema),
})

/**
 * Opaque app / co-browse payload: JSON data only (binary goes through the chunked transfer),
 * ≤ MAX_APP_PAYLOAD_BYTES serialized. Agent envelopes ride here (see agent.ts).
 */
export const AppSchema = z.object({ k: z.literal('app'), data: opaqueJson(MAX_APP_PAYLOAD_BYTES) })

/** An annotation event. */
export const InkSchema = z.object({
  k: z.literal('ink'),
  e: InkEventSchema,
  /** Mover's display name (hint only). */
  n: z.optional(NameSchema),
  /** Sender's colour. */
  c: z.optional(ColorSchema),
})

/** A pay-me link (allow-listed schemes; shown before opening). */
export const PaySchema = z.object({
  k: z.literal('pay'),
  url: z.string().check(
    z.maxLength(MAX_PAY_URL_CHARS),
    z.refine((url) => isAllowedPayUrl(url), { error: 'pay url scheme is not allowed' }),
  ),
  label: z.optional(z.string().check(z.maxLength(MAX_PAY_LABEL_CHARS))),
  dm: z.optional(z.boolean()),
})

/** A cert-bound OIDC / email ID token broadcast (verified by `@kibitz/identity`). */
export const IdTokenSchema = z.object({ k: z.literal('idtoken'), jwt: JwtSchema })

/** Capability map; accepted only from the host under a cryptographic host tier. */
export const ContentCapsSchema = z.object({ k: z.literal('caps'), grants: GrantMapSchema })

/** App self-description (schema discovery), re-broadcast to late joiners. */
export const SchemaSchema = z.object({
  k: z.literal('schema'),
  name: z.string().check(z.minLength(1), z.maxLength(MAX_SCHEMA_NAME_CHARS)),
  version: z.string().check(z.minLength(1), z.maxLength(MAX_SCHEMA_VERSION_CHARS)),
  /** Opaque JSON (e.g. a JSON Schema), ≤ MAX_SCHEMA_BYTES. */
  schema: opaqueJson(MAX_SCHEMA_BYTES),
})

export type Chat = z.infer<typeof ChatSchema>
export type AppMessage = z.infer<typeof AppSchema>
export type Ink = z.infer<typeof InkSchema>
export type Pay = z.infer<typeof PaySchema>
export type IdToken = z.infer<typeof IdTokenSchema>
export type ContentCaps = z.infer<typeof ContentCapsSchema>
export type SchemaMessage = z.infer<typeof SchemaSchema>
export type TransferMessage =
  | z.infer<typeof TransferBeginSchema>
  | z.infer<typeof TransferChunkSchema>
  | z.infer<typeof TransferEndSchema>
  | z.infer<typeof TransferCancelSchema>
export type ContentMessage =
  Chat | AppMessage | Ink | Pay | IdToken | ContentCaps | SchemaMessage | TransferMessage

const codec = openUnion({
  plane: 'content',
  field: 'k',
  schemas: {
    chat: ChatSchema,
    app: AppSchema,
    ink: InkSchema,
    pay: PaySchema,
    idtoken: IdTokenSchema,
    caps: ContentCapsSchema,
    schema: SchemaSchema,
    xbegin: TransferBeginSchema,
    xchunk: TransferChunkSchema,
    xend: TransferEndSchema,
    xcancel: TransferCancelSchema,
  },
  maxBytes: MAX_CONTENT_MESSAGE_BYTES,
})

export const decodeContent = (value: unknown): Result<Decoded<ContentMessage>> =>
  codec.decode(value)
export const encodeContent = (message: ContentMessage): Result<string> => codec.encode(message)
export const CONTENT_KINDS: readonly string[] = codec.kinds
