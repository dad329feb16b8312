import fc from 'fast-check'
import type { Grant } from '../grant.js'
import { ACT, PERCEIVE } from '../vocabulary.js'

/** Clean grants: any subset of the vocabulary, with or without an expiry. */
export const grantArb: fc.Arbitrary<Grant> = fc
  .record(
    {
      perceive: fc.subarray([...PERCEIVE]),
      act: fc.subarray([...ACT]),
      expiresAt: fc.integer({ min: 1, max: 2_000_000_000_000 }),
    },
    { requiredKeys: ['perceive', 'act'] },
  )
  .map((g) => g as Grant)

/** Capability names as a hostile peer might send them: known, unknown, junk, prototype keys. */
export const nameArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...PERCEIVE, ...ACT),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'read-media', 'SEND-CHAT', ''),
  fc.string({ maxLength: 40 }),
  fc.anything(),
)

/** Grant-shaped junk: shuffled, duplicated, unknown names and odd expiries. */
export const messyGrantArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      perceive: fc.array(nameArb, { maxLength: 16 }),
      act: fc.array(nameArb, { maxLength: 16 }),
      expiresAt: fc.oneof(fc.integer(), fc.double(), fc.constant(undefined), fc.string()),
      backend: fc.anything(),
      egress: fc.anything(),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
)
