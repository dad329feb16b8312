import {
  CONTENT_KINDS,
  agentAct,
  agentChat,
  agentView,
  type AppMessage,
  type ContentMessage,
} from '@kibitz/protocol'
import { describe, expect, it } from 'vitest'
import {
  MEDIA_LANES,
  actFor,
  actForContent,
  perceiveFor,
  perceiveForContent,
} from './content-kinds.js'
import { can } from './expiry.js'
import { AGENT_DEFAULT_GRANT } from './grant.js'

describe('C17 perceive by content kind', () => {
  it('C17 room data needs read-chat; directed app data needs receive-directed', () => {
    for (const k of ['chat', 'pay', 'schema', 'xbegin', 'xchunk', 'xend', 'xcancel', 'app'])
      expect(perceiveFor(k)).toBe('read-chat')
    expect(perceiveFor('app', true)).toBe('receive-directed')
    expect(perceiveFor('chat', true)).toBe('read-chat')
    expect(perceiveFor('schema', true)).toBe('read-chat')
  })

  it('C17 ink needs see-screen, idtoken read-roster, caps nothing', () => {
    expect(perceiveFor('ink')).toBe('see-screen')
    expect(perceiveFor('idtoken')).toBe('read-roster')
    expect(perceiveFor('caps')).toBeNull()
  })

  it('C17 media: pictures need see-screen, sound hear-audio — a default agent gets no media', () => {
    expect(MEDIA_LANES.map((lane) => perceiveFor(lane))).toEqual([
      'hear-audio',
      'see-screen',
      'see-screen',
      'hear-audio',
    ])
    for (const lane of MEDIA_LANES)
      expect(can(AGENT_DEFAULT_GRANT, perceiveFor(lane)!, 0)).toBe(false)
  })

  it('C17 a default agent receives chat, app views, schemas and directed data', () => {
    for (const [k, directed] of [
      ['chat', false],
      ['app', false],
      ['app', true],
      ['schema', true],
    ] as const)
      expect(can(AGENT_DEFAULT_GRANT, perceiveFor(k, directed)!, 0)).toBe(true)
  })

  it('C17 C18 every protocol content kind has an explicit entry; unknown kinds are gated as data', () => {
    for (const k of CONTENT_KINDS) {
      expect(perceiveFor(k)).not.toBeUndefined()
      expect(actFor(k)).not.toBeUndefined()
    }
    expect(perceiveFor('hologram')).toBe('read-chat')
    expect(actFor('hologram')).toBe('send-chat')
    expect(perceiveFor('__proto__')).toBe('read-chat')
  })
})

describe('C18 act by content kind', () => {
  it('C18 every content emission needs send-chat (inventory §6 item 22)', () => {
    for (const k of ['chat', 'app', 'ink', 'pay', 'schema', 'xbegin', 'xchunk', 'xend', 'xcancel'])
      expect(actFor(k)).toBe('send-chat')
    expect(actFor('idtoken')).toBeNull()
    expect(actFor('caps')).toBeNull()
  })

  it('C18 publishing any media lane needs speak', () => {
    for (const lane of MEDIA_LANES) expect(actFor(lane)).toBe('speak')
  })

  it('C18 an agent act envelope needs act; agent chat and views need send-chat', () => {
    const app = (data: AppMessage['data']): ContentMessage => ({ k: 'app', data })
    expect(actForContent(app(agentAct({ click: '#ok' })))).toBe('act')
    expect(actForContent(app({ __kib_agent: 'act' }))).toBe('act')
    expect(actForContent(app(agentChat('hi')))).toBe('send-chat')
    expect(actForContent(app(agentView({ score: 1 })))).toBe('send-chat')
    expect(actForContent(app({ raw: true }))).toBe('send-chat')
    expect(actForContent({ k: 'chat', text: 'hi' })).toBe('send-chat')
    expect(perceiveForContent(app(agentView({})), true)).toBe('receive-directed')
  })

  it('C18 a default agent can act nothing', () => {
    for (const k of ['chat', 'app', 'ink', ...MEDIA_LANES])
      expect(can(AGENT_DEFAULT_GRANT, actFor(k)!, 0)).toBe(false)
    expect(can(AGENT_DEFAULT_GRANT, actFor('app', 'act')!, 0)).toBe(false)
  })
})
