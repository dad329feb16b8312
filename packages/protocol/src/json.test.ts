import { describe, expect, it } from 'vitest'
import { ErrorCode } from './errors.js'
import { parseJson, sanitizeObject, sanitizeOpaque, stringifyJson, utf8ByteLength } from './json.js'
import { MAX_JSON_DEPTH } from './limits.js'
import { expectCode } from './testing/assert.js'

const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)])
const big = { maxBytes: 1 << 20 }

describe('json', () => {
  it('utf8ByteLength matches TextEncoder', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀b€é', '\ud800', '\udc00x']) {
      expect(utf8ByteLength(s), s).toBe(new TextEncoder().encode(s).length)
    }
  })

  it('P3 sanitizeOpaque deep-copies plain data and drops forbidden keys', () => {
    const input = JSON.parse(
      '{"a":[1,"x",null,true,{"__proto__":{"p":1},"constructor":{},"prototype":0,"k":-0}],"u":1}',
    ) as Record<string, unknown>
    input.skip = undefined
    const r = sanitizeOpaque(input, big)
    expect(r).toEqual({ ok: true, value: { a: [1, 'x', null, true, { k: 0 }], u: 1 } })
    expect(r.ok && r.value !== input).toBe(true)
    expect(sanitizeOpaque(Object.create(null) as object, big)).toEqual({ ok: true, value: {} })
  })

  it('P3 rejects non-plain values', () => {
    class K {
      a = 1
    }
    const cases: unknown[] = [
      undefined,
      1n,
      Symbol('s'),
      () => 1,
      new K(),
      new Date(),
      new Map(),
      new Uint8Array(1),
      Number.NaN,
      Infinity,
      [undefined],
    ]
    for (const v of cases) expectCode(sanitizeOpaque(v, big), ErrorCode.BAD_MESSAGE)
  })

  it('P2 survives hostile objects: throwing getters, proxies, cycles, shared sub-graphs', () => {
    const getter = Object.defineProperty({}, 'x', {
      enumerable: true,
      get: () => {
        throw new Error('boom')
      },
    })
    expectCode(sanitizeOpaque(getter, big), ErrorCode.BAD_MESSAGE)
    const proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap')
        },
      },
    )
    expectCode(sanitizeOpaque(proxy, big), ErrorCode.BAD_MESSAGE)
    const revocable = Proxy.revocable({}, {})
    revocable.revoke()
    expectCode(sanitizeOpaque(revocable.proxy, big), ErrorCode.BAD_MESSAGE)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expectCode(sanitizeOpaque(cyclic, big), ErrorCode.TOO_LARGE)
    // 2^40 paths through 40 shared levels: the byte budget stops it quickly
    let shared: unknown = 'leaf'
    for (let i = 0; i < 40; i++) shared = [shared, shared]
    const t0 = Date.now()
    expectCode(sanitizeOpaque(shared, { maxBytes: 4096, maxDepth: 64 }), ErrorCode.TOO_LARGE)
    expect(Date.now() - t0).toBeLessThan(500)
    expectCode(sanitizeOpaque({ length: 1e9 }, big), 'ok' as ErrorCode) // a plain object with a length key is fine
    expectCode(sanitizeOpaque(new Array(1e8), big), ErrorCode.TOO_LARGE)
  })

  it('P15 depth cap: exactly MAX_JSON_DEPTH passes, one more fails', () => {
    expect(sanitizeOpaque(nest(MAX_JSON_DEPTH), big).ok).toBe(true)
    expectCode(sanitizeOpaque(nest(MAX_JSON_DEPTH + 1), big), ErrorCode.TOO_LARGE)
    expect(parseJson(JSON.stringify(nest(MAX_JSON_DEPTH)), big).ok).toBe(true)
    expectCode(parseJson(JSON.stringify(nest(MAX_JSON_DEPTH + 1)), big), ErrorCode.TOO_LARGE)
    // brackets inside strings do not count
    expect(parseJson(JSON.stringify({ s: '['.repeat(100) + '\\"[' }), big).ok).toBe(true)
    // a deep bomb is refused before JSON.parse runs
    expectCode(parseJson('['.repeat(1e6) + ']'.repeat(1e6), { maxBytes: 3e6 }), ErrorCode.TOO_LARGE)
  })

  it('P4 byte cap at the edge', () => {
    const at = JSON.stringify({ a: 'x'.repeat(100) })
    expect(parseJson(at, { maxBytes: at.length }).ok).toBe(true)
    expectCode(parseJson(at, { maxBytes: at.length - 1 }), ErrorCode.TOO_LARGE)
    expect(sanitizeOpaque({ a: 'x'.repeat(100) }, { maxBytes: at.length }).ok).toBe(true)
    expectCode(
      sanitizeOpaque({ a: 'x'.repeat(100) }, { maxBytes: at.length - 1 }),
      ErrorCode.TOO_LARGE,
    )
    expectCode(sanitizeOpaque({ a: 'é'.repeat(60) }, { maxBytes: 100 }), ErrorCode.TOO_LARGE) // 120 UTF-8 bytes
    expectCode(parseJson('x'.repeat(101), { maxBytes: 100 }), ErrorCode.TOO_LARGE)
  })

  it('parseJson rejects bad input with BAD_MESSAGE and drops __proto__', () => {
    expectCode(parseJson('{', big), ErrorCode.BAD_MESSAGE)
    expectCode(parseJson(42, big), ErrorCode.BAD_MESSAGE)
    expect(parseJson('{"__proto__":{"admin":true},"a":1}', big)).toEqual({
      ok: true,
      value: { a: 1 },
    })
    expect(parseJson('1e9', { maxBytes: 3 })).toEqual({ ok: true, value: 1e9 })
  })

  it('sanitizeObject and stringifyJson', () => {
    expectCode(sanitizeObject([1], big), ErrorCode.BAD_MESSAGE)
    expect(sanitizeObject({ a: 1 }, big)).toEqual({ ok: true, value: { a: 1 } })
    expect(stringifyJson({ b: [1], c: undefined }, big)).toEqual({ ok: true, value: '{"b":[1]}' })
  })
})
