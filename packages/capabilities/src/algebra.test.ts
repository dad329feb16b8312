import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { diffGrants, grantsEqual, intersectGrants, isSubGrant, unionGrants } from './algebra.js'
import { AGENT_DEFAULT_GRANT, EMPTY_GRANT, FULL_GRANT } from './grant.js'
import { grantArb, messyGrantArb } from './testing/arbitraries.js'

describe('C8 intersect: never more than requested, never more than allowed', () => {
  it('C8 requested ∩ allowed', () => {
    const requested = { perceive: ['read-chat', 'see-screen'], act: ['send-chat'] }
    expect(intersectGrants(requested, AGENT_DEFAULT_GRANT)).toEqual({
      perceive: ['read-chat'],
      act: [],
    })
    expect(intersectGrants(requested, FULL_GRANT)).toEqual({
      perceive: ['see-screen', 'read-chat'],
      act: ['send-chat'],
    })
  })

  it('C8 expiry is the earlier one; disclosure is dropped', () => {
    const a = { ...FULL_GRANT, expiresAt: 2000, backend: 'x', egress: true }
    expect(intersectGrants(a, { ...FULL_GRANT, expiresAt: 1000 }).expiresAt).toBe(1000)
    expect(intersectGrants(a, FULL_GRANT)).toEqual({ ...FULL_GRANT, expiresAt: 2000 })
    expect(intersectGrants(FULL_GRANT, FULL_GRANT).expiresAt).toBeUndefined()
  })

  it('C8 property: commutative', () => {
    fc.assert(
      fc.property(grantArb, grantArb, (a, b) => {
        expect(intersectGrants(a, b)).toEqual(intersectGrants(b, a))
      }),
    )
  })

  it('C8 property: associative and idempotent', () => {
    fc.assert(
      fc.property(grantArb, grantArb, grantArb, (a, b, c) => {
        expect(intersectGrants(intersectGrants(a, b), c)).toEqual(
          intersectGrants(a, intersectGrants(b, c)),
        )
        expect(grantsEqual(intersectGrants(a, a), intersectGrants(a, FULL_GRANT))).toBe(true)
        const ab = intersectGrants(a, b)
        expect(intersectGrants(ab, ab)).toEqual(ab)
      }),
    )
  })

  it('C8 property: the result is ⊆ both inputs (never widens), even for junk input', () => {
    fc.assert(
      fc.property(messyGrantArb, messyGrantArb, (a, b) => {
        const r = intersectGrants(a, b)
        expect(isSubGrant(r, a)).toBe(true)
        expect(isSubGrant(r, b)).toBe(true)
      }),
    )
  })

  it('C8 property: FULL is the identity and EMPTY absorbs', () => {
    fc.assert(
      fc.property(grantArb, (a) => {
        expect(grantsEqual(intersectGrants(a, FULL_GRANT), a)).toBe(true)
        const e = intersectGrants(a, EMPTY_GRANT)
        expect([e.perceive, e.act]).toEqual([[], []])
      }),
    )
  })
})

describe('C9 union', () => {
  it('C9 property: commutative, associative, idempotent, ⊇ both capability sets', () => {
    fc.assert(
      fc.property(grantArb, grantArb, grantArb, (a, b, c) => {
        expect(unionGrants(a, b)).toEqual(unionGrants(b, a))
        expect(unionGrants(unionGrants(a, b), c)).toEqual(unionGrants(a, unionGrants(b, c)))
        expect(grantsEqual(unionGrants(a, a), a)).toBe(true)
        const u = unionGrants(a, b)
        for (const g of [a, b]) {
          expect(g.perceive.every((x) => u.perceive.includes(x))).toBe(true)
          expect(g.act.every((x) => u.act.includes(x))).toBe(true)
        }
      }),
    )
  })

  it('C9 a union never outlives its shorter-lived input', () => {
    const u = unionGrants(
      { ...AGENT_DEFAULT_GRANT, expiresAt: 500 },
      { perceive: [], act: ['speak'] },
    )
    expect(u).toEqual({ perceive: AGENT_DEFAULT_GRANT.perceive, act: ['speak'], expiresAt: 500 })
  })

  it('C8 C9 property: absorption — a ∩ (a ∪ b) has the capabilities of a', () => {
    fc.assert(
      fc.property(grantArb, grantArb, (a, b) => {
        const r = intersectGrants(a, unionGrants(a, b))
        expect([r.perceive, r.act]).toEqual([
          intersectGrants(a, FULL_GRANT).perceive,
          intersectGrants(a, FULL_GRANT).act,
        ])
      }),
    )
  })
})

describe('grantsEqual, isSubGrant, diffGrants', () => {
  it('compares canonical forms', () => {
    expect(
      grantsEqual(
        { perceive: ['read-roster', 'read-chat', 'x'], act: [] },
        { perceive: ['read-chat', 'read-roster'] },
      ),
    ).toBe(true)
    expect(grantsEqual(FULL_GRANT, { ...FULL_GRANT, expiresAt: 5 })).toBe(false)
    expect(grantsEqual(FULL_GRANT, { ...FULL_GRANT, egress: true })).toBe(false)
  })

  it('a grant that outlives another is not a sub-grant of it', () => {
    expect(isSubGrant(EMPTY_GRANT, { ...FULL_GRANT, expiresAt: 5 })).toBe(false)
    expect(isSubGrant({ ...EMPTY_GRANT, expiresAt: 5 }, { ...FULL_GRANT, expiresAt: 5 })).toBe(true)
    expect(isSubGrant(FULL_GRANT, AGENT_DEFAULT_GRANT)).toBe(false)
  })

  it('lists what was added and removed', () => {
    expect(
      diffGrants(AGENT_DEFAULT_GRANT, {
        perceive: ['read-chat', 'see-screen'],
        act: ['send-chat'],
      }),
    ).toEqual({
      added: ['see-screen', 'send-chat'],
      removed: ['read-roster', 'receive-directed'],
    })
  })
})
