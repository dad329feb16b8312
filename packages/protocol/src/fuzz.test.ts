import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeAgentEnvelope } from './agent.js'
import {
  decodeBrokerEvent,
  decodeBrokerRequest,
  decodeClaimReply,
  decodeEmptyReply,
  decodeHandshakeJoin,
  decodeJoinedEvent,
  decodeJoinReply,
} from './broker.js'
import { fromBase64Url, toBase64Url } from './bytes.js'
import { decodeContent, encodeContent, type ContentMessage } from './content.js'
import { deriveRoomKeys, openJson, seal } from './envelope.js'
import { isErrorCode, isKibitzError } from './errors.js'
import { parseJson, sanitizeOpaque } from './json.js'
import {
  decodeAuthorityMessage,
  decodeParticipantMessage,
  decodePresence,
  encodePresence,
  type PresenceMessage,
} from './presence.js'
import type { Decoded, Result } from './result.js'
import { normalizeRoomId } from './room.js'
import { decodeSignal, encodeSignal, type SignalMessage } from './signal.js'
import {
  agentSamples,
  authoritySamples,
  contentSamples,
  participantSamples,
  signalSamples,
} from './testing/messages.js'
import { decodeChunkFrame, encodeChunkFrame } from './transfer.js'

/**
 * P2: no decoder throws, for any input. Random values, random JSON, hostile objects and mutated
 * valid messages. Every result is a Result whose error (if any) is a KibitzError with a known code.
 */

const RUNS = 3000

function expectResult(r: Result<unknown>): void {
  expect(typeof r.ok).toBe('boolean')
  if (!r.ok) {
    expect(isKibitzError(r.error)).toBe(true)
    expect(isErrorCode(r.error.code)).toBe(true)
  }
}

// ── hostile values ───────────────────────────────────────────────────────────────────────────

const throwingGetter = () =>
  Object.defineProperty({ t: 'ping', k: 'chat' }, 'text', {
    enumerable: true,
    get: () => {
      throw new Error('getter')
    },
  })
const throwingProxy = () =>
  new Proxy(
    { t: 'announce', k: 'chat' },
    {
      // symbol and toString reads stay benign so fast-check can print a counterexample
      get: (_t, p) => {
        if (typeof p === 'symbol' || p === 'toString') return undefined
        throw new Error('get trap')
      },
      ownKeys: () => {
        throw new Error('ownKeys trap')
      },
      getPrototypeOf: () => {
        throw new Error('proto trap')
      },
    },
  )
const lyingProxy = () => new Proxy([], { get: (_t, p) => (p === 'length' ? 1e12 : 'x') })
const cyclic = () => {
  const o: Record<string, unknown> = { t: 'roster', k: 'app' }
  o.members = [o]
  o.data = o
  return o
}
const hostile = fc.oneof(
  fc.constant(null).map(throwingGetter),
  fc.constant(null).map(throwingProxy),
  fc.constant(null).map(lyingProxy),
  fc.constant(null).map(cyclic),
  fc.bigInt().map((b) => ({ t: 'ping', k: 'chat', text: b })),
  fc.constant({ t: Symbol('t'), k: Symbol('k') }),
  fc.constant({ t: 'chat', [Symbol('s')]: 1 }),
  fc.constant('x'.repeat(3_000_000)),
  fc.constant({ k: 'chat', text: 'x'.repeat(3_000_000) }),
  fc.constant(Object.create(null) as object),
  fc.constant(new Uint8Array(8)),
  fc.constant(() => 1),
)

const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
})

// ── mutated valid messages ───────────────────────────────────────────────────────────────────

const deep = (n: number): unknown => (n === 0 ? 'deep' : [deep(n - 1)])

type Mutation = 'drop' | 'retype' | 'oversize' | 'proto' | 'getter' | 'bigint' | 'nest'

function mutate(message: unknown, path: number[], kind: Mutation, replacement: unknown): unknown {
  const root = structuredClone(message) as Record<string, unknown>
  // walk down along `path` picking keys by index
  let node: Record<string, unknown> = root
  for (const step of path) {
    const keys = Object.keys(node)
    const key = keys[step % Math.max(1, keys.length)]
    const next = key === undefined ? undefined : node[key]
    if (typeof next !== 'object' || next === null) break
    node = next as Record<string, unknown>
  }
  const keys = Object.keys(node)
  const key = keys[(path[0] ?? 0) % Math.max(1, keys.length)] ?? 'x'
  switch (kind) {
    case 'drop':
      delete node[key]
      break
    case 'retype':
      node[key] = replacement
      break
    case 'oversize':
      node[key] = 'x'.repeat(70_000 + (path[0] ?? 0))
      break
    case 'proto':
      Object.defineProperty(node, '__proto__', {
        value: { polluted: true, t: 'roster' },
        enumerable: true,
        configurable: true,
        writable: true,
      })
      break
    case 'getter':
      Object.defineProperty(node, key, {
        enumerable: true,
        get: () => {
          throw new Error('mutant getter')
        },
      })
      break
    case 'bigint':
      node[key] = 10n
      break
    case 'nest':
      node[key] = deep(40)
      break
  }
  return root
}

const mutations = fc.constantFrom<Mutation>(
  'drop',
  'retype',
  'oversize',
  'proto',
  'getter',
  'bigint',
  'nest',
)
const mutated = (samples: readonly unknown[]) =>
  fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(fc.nat(20), { maxLength: 4 }),
      mutations,
      fc.jsonValue(),
    )
    .map(([m, path, kind, rep]) => mutate(m, path, kind, rep))

const inputs = (samples: readonly unknown[]) =>
  fc.oneof(anything, fc.jsonValue(), hostile, mutated(samples), mutated(samples))

// ── planes ───────────────────────────────────────────────────────────────────────────────────

const presenceSamples = [...participantSamples, ...authoritySamples]

const planes: [
  name: string,
  decode: (v: unknown) => Result<Decoded<unknown>>,
  samples: readonly unknown[],
  reencode?: (m: never) => Result<string>,
][] = [
  ['presence', decodePresence, presenceSamples, (m: PresenceMessage) => encodePresence(m)],
  ['presence participant→authority', decodeParticipantMessage, participantSamples],
  ['presence authority→participant', decodeAuthorityMessage, authoritySamples],
  ['signal', decodeSignal, signalSamples, (m: SignalMessage) => encodeSignal(m)],
  ['content', decodeContent, contentSamples, (m: ContentMessage) => encodeContent(m)],
]

describe('P2 decoders never throw (property tests)', () => {
  it.each(planes)(
    '%s: any input → Result; known results re-encode',
    (_, decode, samples, reencode) => {
      fc.assert(
        fc.property(inputs(samples), (value) => {
          const r = decode(value)
          expectResult(r)
          if (r.ok && r.value.known && reencode)
            expect(reencode(r.value.message as never).ok).toBe(true)
          if (r.ok && r.value.known)
            expect(Object.hasOwn(r.value.message as object, '__proto__')).toBe(false)
        }),
        { numRuns: RUNS },
      )
    },
  )

  it('agent envelope', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          inputs(agentSamples),
          fc.record({ __kib_agent: fc.string(), text: fc.anything(), view: fc.anything() }),
        ),
        (value) => {
          expectResult(decodeAgentEnvelope(value))
        },
      ),
      { numRuns: RUNS },
    )
  })

  const brokerShapes = fc.record(
    {
      tag: fc.oneof(fc.string(), fc.constant('A'.repeat(43)), anything),
      to: fc.oneof(fc.string(), anything),
      from: fc.string(),
      id: fc.string(),
      authority: fc.oneof(fc.string(), fc.constant(null)),
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.constant(new Uint8Array(70_000)),
        anything,
      ),
      ok: fc.oneof(fc.boolean(), anything),
      self: fc.string(),
      granted: fc.oneof(fc.boolean(), anything),
      error: fc.oneof(
        fc.record({ code: fc.constantFrom('BAD_MESSAGE', 'NOPE'), message: fc.string() }),
        anything,
      ),
      op: fc.string(),
    },
    { requiredKeys: [] },
  )
  const brokerDecoders: [string, (v: unknown) => Result<unknown>][] = [
    ...Object.entries(decodeBrokerRequest).map(
      ([k, f]) => [`request ${k}`, f] as [string, (v: unknown) => Result<unknown>],
    ),
    ...Object.entries(decodeBrokerEvent).map(
      ([k, f]) => [`event ${k}`, f] as [string, (v: unknown) => Result<unknown>],
    ),
    ['join reply', decodeJoinReply],
    ['claim reply', decodeClaimReply],
    ['empty reply', decodeEmptyReply],
    ['joined event', decodeJoinedEvent],
  ]
  it.each(brokerDecoders)('broker %s', (_, decode) => {
    fc.assert(
      fc.property(fc.oneof(anything, hostile, brokerShapes), (value) => {
        expectResult(decode(value))
      }),
      { numRuns: 1500 },
    )
  })

  it('broker handshake join (B21): a value or null, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(anything, hostile, brokerShapes), (value) => {
        for (const auth of [value, { kibitz: value }]) {
          const r = decodeHandshakeJoin(auth)
          expect(r === null || typeof r.join === 'string').toBe(true)
        }
      }),
      { numRuns: 1500 },
    )
  })

  it('sanitizeOpaque and parseJson', () => {
    fc.assert(
      fc.property(fc.oneof(anything, hostile, fc.jsonValue()), fc.string(), (value, text) => {
        expectResult(sanitizeOpaque(value, { maxBytes: 10_000 }))
        expectResult(parseJson(text, { maxBytes: 10_000 }))
      }),
      { numRuns: RUNS },
    )
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value)
        const r = parseJson(text, { maxBytes: 1e6, maxDepth: 1000 })
        // JSON data round-trips (modulo -0 and forbidden keys, which jsonValue rarely makes)
        if (r.ok && !/__proto__|constructor|prototype/.test(text))
          expect(JSON.stringify(r.value)).toBe(JSON.stringify(JSON.parse(text)))
      }),
      { numRuns: RUNS },
    )
  })

  it('normalizeRoomId and fromBase64Url', () => {
    fc.assert(
      fc.property(fc.oneof(anything, fc.string(), fc.string({ unit: 'grapheme' })), (value) => {
        const r = normalizeRoomId(value)
        expectResult(r)
        if (r.ok) expect(r.value).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/)
        expect(() => fromBase64Url(value as string)).not.toThrow()
      }),
      { numRuns: RUNS },
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes)
      }),
      { numRuns: 1000 },
    )
  })

  it('binary chunk frame decoder', () => {
    const valid = fc
      .tuple(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ maxLength: 200 }),
      )
      .map(([id, i, bytes]) => {
        const r = encodeChunkFrame({ id, i, bytes })
        if (!r.ok) throw r.error
        return r.value
      })
    const flipped = fc
      .tuple(valid, fc.nat(), fc.integer({ min: 1, max: 255 }))
      .map(([b, at, x]) => {
        const c = b.slice()
        c[at % c.length]! ^= x
        return c
      })
    const truncated = fc.tuple(valid, fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1)))
    fc.assert(
      fc.property(
        fc.oneof(anything, fc.uint8Array({ maxLength: 300 }), valid, flipped, truncated),
        (value) => {
          expectResult(decodeChunkFrame(value))
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('openJson on random and mutated envelopes', async () => {
    const keys = await deriveRoomKeys('fuzz-room')
    if (!keys.ok) throw keys.error
    const base = await seal(keys.value, new TextEncoder().encode('{"t":"ping"}'))
    if (!base.ok) throw base.error
    const env = base.value
    const mutatedEnv = fc
      .tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat())
      .map(([at, x, cut]) => {
        const c = env.slice(0, env.length - (cut % 3))
        c[at % c.length]! ^= x
        return c
      })
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anything, fc.uint8Array({ maxLength: 120 }), mutatedEnv),
        async (value) => {
          const r = await openJson(keys.value, value)
          expectResult(r)
          if (value instanceof Uint8Array && value !== env) expect(r.ok).toBe(false)
        },
      ),
      { numRuns: 2000 },
    )
    // hostile objects outside fast-check (its async runner inspects values and would trip the traps)
    for (const make of [throwingGetter, throwingProxy, lyingProxy, cyclic])
      expectResult(await openJson(keys.value, make()))
  })
})
