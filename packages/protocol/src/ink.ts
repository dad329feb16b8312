import * as z from 'zod/mini'
import { IdSchema } from './fields.js'
import { MAX_COLOR_CHARS, MAX_ID_CHARS, MAX_INK_POINTS, MAX_INK_STROKES } from './limits.js'

/**
 * Ink (annotation) events, carried as `e` of a content `ink` message. Discriminator: `k`.
 * Coordinates are normalized 0..1 to the letterboxed content rect. Unlike the planes, ink event
 * kinds are a closed set: a new one needs a new feature tag (an old peer reports BAD_MESSAGE and
 * drops it, which is the same outcome as ignoring it).
 */

const Coord = z.number().check(z.gte(0), z.lte(1))

/** Colours: hex, rgb(a) or hsl(a) only — never `url(...)` or other CSS. */
export const ColorSchema = z
  .string()
  .check(
    z.maxLength(MAX_COLOR_CHARS),
    z.regex(/^(?:#[0-9a-fA-F]{3,8}|rgba?\([0-9.,%\s]+\)|hsla?\([0-9.,%\sdeg]+\))$/),
  )

export const InkPointSchema = z.object({ x: Coord, y: Coord })

/** Laser pointer position (auto-coloured per peer). */
export const InkPtrSchema = z.object({ k: z.literal('ptr'), x: Coord, y: Coord })
/** One stroke point; `start` begins stroke `sid`. */
export const InkDrawSchema = z.object({
  k: z.literal('draw'),
  sid: IdSchema,
  x: Coord,
  y: Coord,
  start: z.optional(z.boolean()),
  color: z.optional(ColorSchema),
})
/** Wipe the sender's own strokes. */
export const InkClearSchema = z.object({ k: z.literal('clear') })
/** Bulk replay of strokes, keyed by the staged image's content key. */
export const InkRestoreSchema = z.object({
  k: z.literal('restore'),
  image: z.string().check(z.maxLength(MAX_ID_CHARS)),
  strokes: z
    .array(
      z.object({
        color: ColorSchema,
        pts: z.array(InkPointSchema).check(z.maxLength(MAX_INK_POINTS)),
      }),
    )
    .check(z.maxLength(MAX_INK_STROKES)),
})

export const InkEventSchema = z.discriminatedUnion('k', [
  InkPtrSchema,
  InkDrawSchema,
  InkClearSchema,
  InkRestoreSchema,
])
export type InkEvent = z.infer<typeof InkEventSchema>
