import * as z from 'zod/mini'
import { SocketIdSchema } from './broker.js'
import { TimestampSchema } from './fields.js'
import { MAX_CAP_NAME_CHARS, MAX_CAP_NAMES, MAX_GRANTS } from './limits.js'

/**
 * Capability grants on the wire (presence `caps` and content `caps`). Capability names stay open
 * strings here — `@kibitz/capabilities` sanitizes them against its vocabulary — but counts and
 * lengths are capped so a hostile map costs nothing to reject.
 */

export const CapabilityNameSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(MAX_CAP_NAME_CHARS))

export const GrantSchema = z.object({
  /** What the peer may perceive (e.g. `read-chat`, `see-screen`). */
  perceive: z.array(CapabilityNameSchema).check(z.maxLength(MAX_CAP_NAMES)),
  /** What the peer may do (e.g. `send-chat`, `speak`, `act`). */
  act: z.array(CapabilityNameSchema).check(z.maxLength(MAX_CAP_NAMES)),
  /** Optional expiry, ms since the epoch; absent means until changed. */
  expiresAt: z.optional(TimestampSchema),
})
export type Grant = z.infer<typeof GrantSchema>

/** Peer id → grant, at most MAX_GRANTS entries. */
export const GrantMapSchema = z.record(SocketIdSchema, GrantSchema).check(
  z.superRefine((map, ctx) => {
    const count = Object.keys(map).length
    if (count > MAX_GRANTS) {
      ctx.addIssue({
        code: 'custom',
        message: `${count} grants; the limit is ${MAX_GRANTS}`,
        input: map,
        params: { tooLarge: true },
      })
    }
  }),
)
export type GrantMap = z.infer<typeof GrantMapSchema>
