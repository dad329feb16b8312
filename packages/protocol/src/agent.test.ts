import { describe, expect, it } from 'vitest'
import { agentAct, agentChat, agentView, decodeAgentEnvelope } from './agent.js'
import { decodeContent, encodeContent } from './content.js'
import { ErrorCode } from './errors.js'
import { MAX_APP_PAYLOAD_BYTES, MAX_CHAT_CHARS } from './limits.js'
import { edgeCases, expectCode } from './testing/assert.js'
import { agentSamples } from './testing/messages.js'

describe('P13 agent envelope', () => {
  it('builders produce the samples', () => {
    const built = [
      agentChat('hi from the agent'),
      agentView({ pub: { trick: [1, 2] }, myHand: ['AS'] }),
      agentAct({ play: 'AS' }),
    ]
    expect(built).toEqual(agentSamples)
  })

  it.each(agentSamples.map((m) => [m.__kib_agent, m] as const))(
    'round trip inside app content: %s',
    (_, env) => {
      const text = encodeContent({ k: 'app', data: env })
      if (!text.ok) throw text.error
      const content = decodeContent(JSON.parse(text.value))
      if (!content.ok || !content.value.known || content.value.message.k !== 'app')
        throw new Error('not app')
      expect(decodeAgentEnvelope(content.value.message.data)).toEqual({
        ok: true,
        value: { known: true, message: env },
      })
    },
  )

  it('raw data is null; unknown kinds are known:false; bad envelopes fail', () => {
    for (const raw of [null, 1, 'x', [1], { kind: 'agent-action@1', id: 'a' }, {}]) {
      expect(decodeAgentEnvelope(raw)).toEqual({ ok: true, value: null })
    }
    expect(decodeAgentEnvelope({ __kib_agent: 'think', x: 1 })).toEqual({
      ok: true,
      value: { known: false, kind: 'think' },
    })
    expectCode(decodeAgentEnvelope({ __kib_agent: 7 }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeAgentEnvelope({ __kib_agent: '' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeAgentEnvelope({ __kib_agent: 'chat' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeAgentEnvelope({ __kib_agent: 'view' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeAgentEnvelope({ __kib_agent: 'act', action: () => 1 }), ErrorCode.BAD_MESSAGE)
    // a getter on the key is never invoked
    const sneaky = Object.defineProperty({}, '__kib_agent', {
      enumerable: true,
      get: () => {
        throw new Error('boom')
      },
    })
    expectCode(decodeAgentEnvelope(sneaky), ErrorCode.BAD_MESSAGE)
  })

  describe('P4 limits at the edge', () => {
    edgeCases(decodeAgentEnvelope, [
      ['chat text', MAX_CHAT_CHARS, (n) => agentChat('x'.repeat(n))],
      ['view bytes', MAX_APP_PAYLOAD_BYTES, (n) => agentView('x'.repeat(n - 2))],
      ['action bytes', MAX_APP_PAYLOAD_BYTES, (n) => agentAct('x'.repeat(n - 2))],
    ])
  })
})
