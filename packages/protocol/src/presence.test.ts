import { describe, expect, it } from 'vitest'
import { ErrorCode } from './errors.js'
import {
  MAX_ASSERTION_CHARS,
  MAX_AVATAR_CHARS,
  MAX_CAP_NAME_CHARS,
  MAX_CAP_NAMES,
  MAX_FEATURE_TAG_CHARS,
  MAX_FEATURE_TAGS,
  MAX_GRANTS,
  MAX_IDENTITY_CHARS,
  MAX_META_BYTES,
  MAX_NAME_CHARS,
  MAX_REASON_CHARS,
  MAX_ROSTER_MEMBERS,
  MAX_SEALED_MESSAGE_BYTES,
  MAX_TOKEN_CHARS,
} from './limits.js'
import {
  decodeAuthorityMessage,
  decodeParticipantMessage,
  decodePresence,
  encodeAuthorityMessage,
  encodeParticipantMessage,
  encodePresence,
  type AuthorityToParticipant,
  type ParticipantToAuthority,
  type PresenceMessage,
} from './presence.js'
import { authoritySamples, engine, participantSamples } from './testing/messages.js'
import { edgeCases, expectCode, roundTrip } from './testing/assert.js'

const announce = (patch: Record<string, unknown>) => ({
  t: 'announce',
  name: 'A',
  cam: false,
  mic: false,
  identity: 'i',
  engine,
  ...patch,
})
const member = (i: number, patch: Record<string, unknown> = {}) => ({
  id: `s${i}`,
  name: 'N',
  avatar: '',
  cam: false,
  mic: false,
  meta: {},
  engine,
  ...patch,
})
const roster = (patch: Record<string, unknown>) => ({
  t: 'roster',
  members: [],
  authority: 'a',
  host: null,
  lobby: false,
  locked: false,
  epoch: 0,
  seq: 0,
  ...patch,
})
const grant = (patch: Record<string, unknown> = {}) => ({ perceive: [], act: [], ...patch })

describe('presence plane', () => {
  it.each(participantSamples.map((m) => [m.t, m] as const))(
    'P6 round trip participant→authority %s',
    (_, m) => {
      roundTrip(
        m,
        (x) => encodeParticipantMessage(x as ParticipantToAuthority),
        decodeParticipantMessage,
      )
      roundTrip(m, (x) => encodePresence(x as PresenceMessage), decodePresence)
    },
  )

  it.each(authoritySamples.map((m) => [m.t, m] as const))(
    'P6 round trip authority→participant %s',
    (_, m) => {
      roundTrip(
        m,
        (x) => encodeAuthorityMessage(x as AuthorityToParticipant),
        decodeAuthorityMessage,
      )
      roundTrip(m, (x) => encodePresence(x as PresenceMessage), decodePresence)
    },
  )

  it('P1 unknown kinds decode to known:false; direction matters', () => {
    expect(decodePresence({ t: 'voice-v2', anything: 1 })).toEqual({
      ok: true,
      value: { known: false, kind: 'voice-v2' },
    })
    // a roster is not something a participant sends: the authority ignores it
    expect(decodeParticipantMessage(authoritySamples[0])).toEqual({
      ok: true,
      value: { known: false, kind: 'roster' },
    })
    expect(decodeAuthorityMessage({ t: 'announce' })).toEqual({
      ok: true,
      value: { known: false, kind: 'announce' },
    })
    expect(decodePresence({ t: 'toString' })).toEqual({
      ok: true,
      value: { known: false, kind: 'toString' },
    })
  })

  it('P1 unknown fields are stripped, not errors', () => {
    const r = decodePresence({ t: 'ping', future: { x: 1 } })
    expect(r).toEqual({ ok: true, value: { known: true, message: { t: 'ping' } } })
  })

  it('P5 discriminator must be a short string', () => {
    expectCode(decodePresence({}), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence({ t: 7 }), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence({ t: '' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence({ t: 'x'.repeat(33) }), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence([{ t: 'ping' }]), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence('ping'), ErrorCode.BAD_MESSAGE)
  })

  it('P4 known kinds with bad fields are BAD_MESSAGE', () => {
    expectCode(decodePresence(announce({ cam: 'yes' })), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence(announce({ engine: { ...engine, v: '1.0' } })), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence(announce({ identity: '' })), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence({ t: 'mod', op: 'explode' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence({ t: 'mod', op: 'remove' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence({ t: 'mod', op: 'caps' }), ErrorCode.BAD_MESSAGE)
    expectCode(
      decodePresence({ t: 'mod', op: 'caps', target: 's1', grant: { perceive: 'all' } }),
      ErrorCode.BAD_MESSAGE,
    )
    expectCode(decodePresence({ t: 'lobby', status: 'maybe' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence(roster({ seq: -1 })), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence(roster({ epoch: 1.5 })), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence(roster({ host: undefined })), ErrorCode.BAD_MESSAGE)
    expectCode(decodePresence(announce({ meta: [1, 2] })), ErrorCode.BAD_MESSAGE)
  })

  it('P3 __proto__ keys are dropped from meta', () => {
    const meta = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as unknown
    const r = decodePresence(announce({ meta }))
    expect(
      r.ok && r.value.known && r.value.message.t === 'announce' && r.value.message.meta,
    ).toEqual({ ok: 1 })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  describe('P4 limits at the edge', () => {
    const s = (n: number) => 'x'.repeat(n)
    const metaOf = (bytes: number) => ({ m: s(bytes - 8) }) // {"m":""} is 8 bytes
    edgeCases(decodePresence, [
      ['announce name', MAX_NAME_CHARS, (n) => announce({ name: s(n) })],
      ['announce avatar', MAX_AVATAR_CHARS, (n) => announce({ avatar: s(n) })],
      ['announce identity', MAX_IDENTITY_CHARS, (n) => announce({ identity: s(n) })],
      ['announce meta bytes', MAX_META_BYTES, (n) => announce({ meta: metaOf(n) })],
      [
        'announce feature tags',
        MAX_FEATURE_TAGS,
        (n) => announce({ engine: { ...engine, f: Array.from({ length: n }, (_, i) => `f${i}`) } }),
      ],
      [
        'feature tag chars',
        MAX_FEATURE_TAG_CHARS,
        (n) => announce({ engine: { ...engine, f: [s(n)] } }),
      ],
      ['announce jwt', MAX_TOKEN_CHARS, (n) => announce({ jwt: s(n) })],
      ['announce credential', MAX_TOKEN_CHARS, (n) => announce({ credential: s(n) })],
      ['announce assertion', MAX_ASSERTION_CHARS, (n) => announce({ assertion: s(n) })],
      ['knock name', MAX_NAME_CHARS, (n) => ({ t: 'knock', name: s(n), identity: 'i' })],
      ['mod sig', MAX_TOKEN_CHARS, (n) => ({ t: 'mod', op: 'lock', sig: s(n) })],
      [
        'roster members',
        MAX_ROSTER_MEMBERS,
        (n) => roster({ members: Array.from({ length: n }, (_, i) => member(i)) }),
      ],
      [
        'roster member meta',
        MAX_META_BYTES,
        (n) => roster({ members: [member(1, { meta: metaOf(n) })] }),
      ],
      ['kick reason', MAX_REASON_CHARS, (n) => ({ t: 'kick', reason: s(n) })],
      [
        'caps grants',
        MAX_GRANTS,
        (n) => ({
          t: 'caps',
          grants: Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, grant()])),
        }),
      ],
      [
        'caps names',
        MAX_CAP_NAMES,
        (n) => ({
          t: 'caps',
          grants: { s1: grant({ act: Array.from({ length: n }, (_, i) => `c${i}`) }) },
        }),
      ],
      [
        'caps name chars',
        MAX_CAP_NAME_CHARS,
        (n) => ({ t: 'caps', grants: { s1: grant({ perceive: [s(n)] }) } }),
      ],
    ])
  })

  it('P7 a whole presence message must fit one sealed frame (exactly at the cap passes)', () => {
    // 16 members with ~4 KiB meta each is over 64 KiB: the authority gets TOO_LARGE locally.
    const big = roster({
      members: Array.from({ length: 16 }, (_, i) =>
        member(i, { meta: { m: 'x'.repeat(MAX_META_BYTES - 8) } }),
      ),
    })
    expectCode(decodePresence(big), ErrorCode.TOO_LARGE)
    expectCode(encodePresence(big as PresenceMessage), ErrorCode.TOO_LARGE)
    // pad the last member's meta so the JSON is exactly the cap
    const fit = (pad: number) =>
      roster({
        members: Array.from({ length: 17 }, (_, i) =>
          member(i, { meta: { m: 'x'.repeat(i === 16 ? pad : 3800) } }),
        ),
      })
    const base = JSON.stringify(fit(0)).length
    const exact = fit(MAX_SEALED_MESSAGE_BYTES - base)
    expect(JSON.stringify(exact).length).toBe(MAX_SEALED_MESSAGE_BYTES)
    expect(encodePresence(exact as PresenceMessage).ok).toBe(true)
    expectCode(
      encodePresence(fit(MAX_SEALED_MESSAGE_BYTES - base + 1) as PresenceMessage),
      ErrorCode.TOO_LARGE,
    )
  })

  it('P6 encode refuses invalid and unknown messages', () => {
    expectCode(
      encodePresence({ t: 'lobby', status: 'nope' } as unknown as PresenceMessage),
      ErrorCode.BAD_MESSAGE,
    )
    expectCode(
      encodePresence({ t: 'whatever' } as unknown as PresenceMessage),
      ErrorCode.BAD_MESSAGE,
    )
    expectCode(
      encodeParticipantMessage({ t: 'reset' } as unknown as ParticipantToAuthority),
      ErrorCode.BAD_MESSAGE,
    )
  })
})
