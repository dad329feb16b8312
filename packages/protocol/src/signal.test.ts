import { describe, expect, it } from 'vitest'
import { ErrorCode } from './errors.js'
import {
  MAX_CANDIDATE_CHARS,
  MAX_KBPS,
  MAX_SDP_CHARS,
  MAX_SDP_MID_CHARS,
  MAX_UFRAG_CHARS,
} from './limits.js'
import { decodeSignal, encodeSignal, type SignalMessage } from './signal.js'
import { edgeCases, expectCode, roundTrip } from './testing/assert.js'
import { signalSamples } from './testing/messages.js'

const s = (n: number) => 'x'.repeat(n)
const sdp = (patch: Record<string, unknown>) => ({
  t: 'sdp',
  description: { type: 'offer', sdp: '' },
  link: 0,
  ...patch,
})
const ice = (c: Record<string, unknown>) => ({
  t: 'ice',
  candidate: { candidate: '', ...c },
  link: 0,
})

describe('signal plane', () => {
  it.each(signalSamples.map((m, i) => [`${m.t}#${i}`, m] as const))('P6 round trip %s', (_, m) => {
    roundTrip(m, (x: SignalMessage) => encodeSignal(x), decodeSignal)
  })

  it('P1 unknown kinds decode to known:false', () => {
    expect(decodeSignal({ t: 'cap', bulk: 1 })).toEqual({
      ok: true,
      value: { known: false, kind: 'cap' },
    })
  })

  it('P4 bad fields are BAD_MESSAGE', () => {
    expectCode(
      decodeSignal(sdp({ description: { type: 'bogus', sdp: '' } })),
      ErrorCode.BAD_MESSAGE,
    )
    expectCode(decodeSignal(sdp({ link: -1 })), ErrorCode.BAD_MESSAGE)
    expectCode(decodeSignal(sdp({ link: undefined })), ErrorCode.BAD_MESSAGE)
    expectCode(decodeSignal({ t: 'ice', link: 0 }), ErrorCode.BAD_MESSAGE) // candidate must be present (null is end-of-candidates)
    expectCode(decodeSignal(ice({ sdpMLineIndex: 1.5 })), ErrorCode.BAD_MESSAGE)
    expectCode(decodeSignal({ t: 'health', v: -1, a: 0, ov: 0, oa: 0 }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeSignal({ t: 'health', v: 0, a: 0, ov: 0 }), ErrorCode.BAD_MESSAGE)
    expectCode(
      decodeSignal({ t: 'health', v: MAX_KBPS + 1, a: 0, ov: 0, oa: 0 }),
      ErrorCode.BAD_MESSAGE,
    )
  })

  describe('P4 limits at the edge', () => {
    edgeCases(decodeSignal, [
      ['sdp chars', MAX_SDP_CHARS, (n) => sdp({ description: { type: 'answer', sdp: s(n) } })],
      ['candidate chars', MAX_CANDIDATE_CHARS, (n) => ice({ candidate: s(n) })],
      ['sdpMid chars', MAX_SDP_MID_CHARS, (n) => ice({ sdpMid: s(n) })],
      ['usernameFragment chars', MAX_UFRAG_CHARS, (n) => ice({ usernameFragment: s(n) })],
    ])
  })
})
