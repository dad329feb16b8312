import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { can, effectiveGrant, isExpired } from './expiry.js'
import { AGENT_DEFAULT_GRANT, EMPTY_GRANT, FULL_GRANT } from './grant.js'
import { CAPABILITIES, type Capability } from './vocabulary.js'

describe('C10 expiry', () => {
  const grant = { ...FULL_GRANT, expiresAt: 1000 }

  it('C10 valid strictly before expiresAt; expired at expiresAt === now', () => {
    expect(isExpired(grant, 999)).toBe(false)
    expect(isExpired(grant, 1000)).toBe(true)
    expect(isExpired(grant, 1001)).toBe(true)
    expect(isExpired(FULL_GRANT, Number.MAX_SAFE_INTEGER)).toBe(false)
  })

  it('C10 a nonsense clock fails closed', () => {
    expect(isExpired(grant, NaN)).toBe(true)
    expect(isExpired(FULL_GRANT, NaN)).toBe(false)
  })

  it('C10 effectiveGrant: expired → EMPTY_GRANT, otherwise the sanitized grant', () => {
    expect(effectiveGrant(grant, 999)).toEqual(grant)
    expect(effectiveGrant(grant, 1000)).toBe(EMPTY_GRANT)
    expect(effectiveGrant({ perceive: ['nope', 'read-chat'] }, 0)).toEqual({
      perceive: ['read-chat'],
      act: [],
    })
  })
})

describe('C11 can', () => {
  it('C11 checks perceive and act lists at now', () => {
    expect(can(AGENT_DEFAULT_GRANT, 'read-chat', 0)).toBe(true)
    expect(can(AGENT_DEFAULT_GRANT, 'send-chat', 0)).toBe(false)
    expect(can(AGENT_DEFAULT_GRANT, 'see-screen', 0)).toBe(false)
    expect(can({ ...FULL_GRANT, expiresAt: 10 }, 'speak', 9)).toBe(true)
    expect(can({ ...FULL_GRANT, expiresAt: 10 }, 'speak', 10)).toBe(false)
  })

  it('C11 unknown names and junk grants allow nothing', () => {
    expect(can(FULL_GRANT, 'fly' as Capability, 0)).toBe(false)
    expect(can(FULL_GRANT, 'constructor' as Capability, 0)).toBe(false)
    expect(can('full', 'read-chat', 0)).toBe(false)
  })

  it('C11 property: can ⇔ membership in the effective grant', () => {
    fc.assert(
      fc.property(
        fc.subarray([...CAPABILITIES]),
        fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: undefined }),
        fc.integer({ min: 0, max: 2e6 }),
        fc.constantFrom(...CAPABILITIES),
        (caps, expiresAt, now, cap) => {
          const g = { perceive: caps, act: caps, ...(expiresAt ? { expiresAt } : {}) }
          const live = expiresAt === undefined || now < expiresAt
          expect(can(g, cap, now)).toBe(live && caps.includes(cap))
        },
      ),
    )
  })
})
