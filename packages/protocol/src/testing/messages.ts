import type { AgentEnvelope } from '../agent.js'
import type { ContentMessage } from '../content.js'
import type { EngineInfo } from '../fields.js'
import type { AuthorityToParticipant, ParticipantToAuthority } from '../presence.js'
import type { SignalMessage } from '../signal.js'

/** One valid sample (or more) of every message kind of every plane, for tests and fuzz seeds. */

export const engine: EngineInfo = { v: '0.1.0', p: 1, f: ['chat.v1', 'sealed.v1'] }
const grant = {
  perceive: ['read-chat', 'read-roster'],
  act: ['send-chat'],
  expiresAt: 1_900_000_000_000,
}

export const participantSamples: ParticipantToAuthority[] = [
  { t: 'announce', name: 'Ada', cam: false, mic: false, identity: 'tab-1', engine },
  {
    t: 'announce',
    name: 'Bo',
    avatar: '🦊',
    cam: true,
    mic: true,
    identity: 'id-2',
    meta: { role: 'agent', nested: { a: [1, 2, { b: null }] } },
    engine: { ...engine, b: 'build-7' },
    jwt: 'a.b.c',
    credential: 'x.y.z',
    assertion: 'p.q.r',
  },
  { t: 'knock', name: 'Cy', identity: 'tab-3' },
  { t: 'knock', name: 'Di', avatar: '', identity: 'tab-4', jwt: 'a.b.c' },
  { t: 'leave' },
  { t: 'ping' },
  { t: 'mod', op: 'lock' },
  { t: 'mod', op: 'remove', target: 'sock-9', sig: 'h.c.s' },
  { t: 'mod', op: 'caps', target: 'sock-9', grant },
  // No grant: clear the explicit entry (back to the kind default).
  { t: 'mod', op: 'caps', target: 'sock-9' },
  {
    t: 'sync',
    epoch: 3,
    lobby: true,
    locked: false,
    bans: ['A'.repeat(43)],
    admitted: ['B'.repeat(43), 'C'.repeat(43)],
    hostIdentity: null,
  },
]

export const authoritySamples: AuthorityToParticipant[] = [
  {
    t: 'roster',
    members: [
      { id: 'sock-1', name: 'Ada', avatar: '', cam: false, mic: false, meta: {}, engine },
      {
        id: 'sock-2',
        name: 'Bo',
        avatar: '🦊',
        cam: true,
        mic: true,
        role: 'agent',
        meta: { x: 1 },
        engine,
        host: true,
        verified: true,
      },
    ],
    authority: 'sock-1',
    host: 'sock-2',
    lobby: true,
    locked: false,
    epoch: 3,
    seq: 41,
  },
  {
    t: 'roster',
    members: [],
    authority: 'sock-1',
    host: null,
    lobby: false,
    locked: true,
    epoch: 0,
    seq: 0,
    grants: { 'sock-4': grant },
  },
  { t: 'ping' },
  { t: 'lobby', status: 'waiting' },
  { t: 'lobby', status: 'removed' },
  { t: 'kick' },
  { t: 'kick', reason: 'removed by host' },
  { t: 'reset' },
  { t: 'caps', grants: { 'sock-2': grant, 'sock-3': { perceive: [], act: [] } } },
]

export const signalSamples: SignalMessage[] = [
  { t: 'sdp', description: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' }, link: 0 },
  { t: 'sdp', description: { type: 'answer', sdp: 'v=0\r\n' }, relay: true, link: 2 },
  { t: 'sdp', description: { type: 'rollback', sdp: '' }, link: 2 },
  {
    t: 'ice',
    candidate: {
      candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'abcd',
    },
    link: 1,
  },
  { t: 'ice', candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null }, link: 1 },
  { t: 'ice', candidate: null, link: 1 },
  { t: 'recreate', link: 3 },
  { t: 'recreate', relay: true, link: 4 },
  { t: 'dial' },
  { t: 'dial', link: 1 },
  { t: 'dead', link: 1 },
  { t: 'bye' },
  { t: 'health', v: 300.5, a: 32, ov: 0, oa: 0 },
]

export const contentSamples: ContentMessage[] = [
  { k: 'chat', text: 'hello' },
  { k: 'chat', text: 'psst', dm: true, mid: 'm-1', ts: 1_700_000_000_000 },
  { k: 'app', data: { move: 'e4', list: [1, 'two', null, true], deep: { a: { b: {} } } } },
  { k: 'app', data: 'plain string' },
  { k: 'app', data: null },
  { k: 'ink', e: { k: 'ptr', x: 0.5, y: 1 } },
  {
    k: 'ink',
    e: { k: 'draw', sid: 's1', x: 0, y: 0.25, start: true, color: '#ff0000' },
    n: 'Ada',
    c: 'hsl(10, 50%, 50%)',
  },
  { k: 'ink', e: { k: 'clear' } },
  {
    k: 'ink',
    e: {
      k: 'restore',
      image: 'fnv-1234',
      strokes: [
        {
          color: 'rgb(1,2,3)',
          pts: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
      ],
    },
  },
  { k: 'pay', url: 'https://pay.example/ada' },
  { k: 'pay', url: 'lightning:lnbc1500n1p0xyz', label: 'coffee', dm: true },
  { k: 'idtoken', jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln' },
  { k: 'caps', grants: { 'sock-2': { perceive: ['read-chat'], act: [] } } },
  {
    k: 'schema',
    name: 'whist',
    version: '1.0.0',
    schema: { type: 'object', properties: { seat: { type: 'number' } } },
  },
  {
    k: 'xbegin',
    id: 'x1',
    kind: 'file',
    size: 100_000,
    n: 3,
    mime: 'application/pdf',
    name: 'a.pdf',
    dm: false,
  },
  { k: 'xbegin', id: 'x-empty', kind: 'text', size: 0, n: 0 },
  { k: 'xchunk', id: 'x1', i: 0, data: 'aGVsbG8=' },
  { k: 'xend', id: 'x1', hash: 'a'.repeat(64) },
  { k: 'xend', id: 'x1' },
  { k: 'xcancel', id: 'x1' },
]

export const agentSamples: AgentEnvelope[] = [
  { __kib_agent: 'chat', text: 'hi from the agent' },
  { __kib_agent: 'view', view: { pub: { trick: [1, 2] }, myHand: ['AS'] } },
  { __kib_agent: 'act', action: { play: 'AS' } },
]
