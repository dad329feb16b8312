import { MAX_CAP_NAMES } from '@kibitz/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EMPTY_GRANT, FULL_GRANT } from './grant.js'
import { sanitizeGrant } from './sanitize.js'
import { grantArb, messyGrantArb } from './testing/arbitraries.js'
import { ACT, PERCEIVE } from './vocabulary.js'

describe('C6 sanitize: unknown names dropped, deduplicated, canonical order', () => {
  it('C6 drops unknown names and junk, keeps known ones in canonical order', () => {
    const g = sanitizeGrant({
      perceive: [
        'receive-directed',
        'read-media',
        'read-chat',
        'read-chat',
        7,
        null,
        'READ-ROSTER',
      ],
      act: ['fly', 'speak', 'send-chat', 'speak', { name: 'act' }],
    })
    expect(g).toEqual({ perceive: ['read-chat', 'receive-directed'], act: ['send-chat', 'speak'] })
    expect(Object.isFrozen(g) && Object.isFrozen(g.perceive) && Object.isFrozen(g.act)).toBe(true)
  })

  it('C6 missing lists read as empty; disclosure is kept clean', () => {
    expect(sanitizeGrant({ act: ['speak'] })).toEqual({ perceive: [], act: ['speak'] })
    expect(sanitizeGrant({ perceive: [], act: [], backend: ' gpt \u0007', egress: true })).toEqual({
      perceive: [],
      act: [],
      backend: 'gpt',
      egress: true,
    })
    expect(sanitizeGrant({ perceive: [], act: [], backend: {}, egress: 1 })).toEqual(EMPTY_GRANT)
  })

  it('C6 property: output is canonical, a subset of the vocabulary, and sanitize is idempotent', () => {
    fc.assert(
      fc.property(messyGrantArb, (input) => {
        const g = sanitizeGrant(input)
        expect(PERCEIVE.filter((c) => g.perceive.includes(c))).toEqual(g.perceive)
        expect(ACT.filter((c) => g.act.includes(c))).toEqual(g.act)
        expect(sanitizeGrant(g)).toEqual(g)
        expect(JSON.parse(JSON.stringify(g))).toEqual(g)
      }),
    )
  })

  it('C6 property: clean grants survive unchanged (as canonical sets)', () => {
    fc.assert(
      fc.property(grantArb, (g) => {
        const s = sanitizeGrant(g)
        expect(new Set(s.perceive)).toEqual(new Set(g.perceive))
        expect(new Set(s.act)).toEqual(new Set(g.act))
        expect(s.expiresAt).toBe(g.expiresAt)
      }),
    )
  })
})

describe('C7 sanitize fails closed and never throws', () => {
  it('C7 non-objects and malformed lists become EMPTY_GRANT', () => {
    for (const junk of [undefined, null, 0, 'full', true, [], [FULL_GRANT], () => FULL_GRANT])
      expect(sanitizeGrant(junk)).toBe(EMPTY_GRANT)
    expect(sanitizeGrant({ perceive: 'read-chat', act: [] })).toBe(EMPTY_GRANT)
    expect(sanitizeGrant({ perceive: [], act: { 0: 'speak', length: 1 } })).toBe(EMPTY_GRANT)
  })

  it('C7 an invalid expiresAt empties the grant instead of making it permanent', () => {
    for (const expiresAt of [0, -1, 1.5, NaN, Infinity, '123', null, 2 ** 60])
      expect(sanitizeGrant({ ...FULL_GRANT, expiresAt })).toBe(EMPTY_GRANT)
    expect(sanitizeGrant({ ...FULL_GRANT, expiresAt: 1 }).expiresAt).toBe(1)
    expect(sanitizeGrant({ ...FULL_GRANT, expiresAt: undefined })).toEqual(FULL_GRANT)
  })

  it('C7 huge lists are refused without being scanned', () => {
    const huge = new Array(10_000_000)
    expect(sanitizeGrant({ perceive: huge, act: [] })).toBe(EMPTY_GRANT)
    const over = Array.from({ length: MAX_CAP_NAMES + 1 }, () => 'read-chat')
    expect(sanitizeGrant({ perceive: over, act: [] })).toBe(EMPTY_GRANT)
    const at = Array.from({ length: MAX_CAP_NAMES }, () => 'read-chat')
    expect(sanitizeGrant({ perceive: at, act: [] }).perceive).toEqual(['read-chat'])
  })

  it('C7 prototype pollution: inherited, __proto__ and accessor fields grant nothing', () => {
    expect(sanitizeGrant(Object.create({ perceive: PERCEIVE, act: ACT }))).toEqual(EMPTY_GRANT)
    const parsed = JSON.parse(
      '{"__proto__": {"act": ["send-chat"]}, "perceive": ["__proto__", "constructor"]}',
    )
    expect(sanitizeGrant(parsed)).toEqual(EMPTY_GRANT)
    expect(({} as Record<string, unknown>).act).toBeUndefined()
    const accessor = Object.defineProperty({ perceive: [] }, 'act', {
      get: () => ['speak'],
      enumerable: true,
    })
    expect(sanitizeGrant(accessor).act).toEqual([])
    const elementGetter = Object.defineProperty(['read-chat'], 1, { get: () => 'see-screen' })
    expect(sanitizeGrant({ perceive: elementGetter, act: [] }).perceive).toEqual(['read-chat'])
  })

  it('C7 hostile proxies and throwing getters do not throw', () => {
    const trap = new Proxy(
      {},
      {
        getOwnPropertyDescriptor: () => {
          throw new Error('boom')
        },
      },
    )
    expect(sanitizeGrant(trap)).toEqual(EMPTY_GRANT)
    const list = new Proxy(['speak'], {
      getOwnPropertyDescriptor: () => {
        throw new Error('boom')
      },
    })
    expect(sanitizeGrant({ perceive: [], act: list })).toBe(EMPTY_GRANT)
  })

  it('C7 property: never throws on anything', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withMap: true, withSet: true }), (v) => {
        expect(() => sanitizeGrant(v)).not.toThrow()
      }),
    )
  })
})
