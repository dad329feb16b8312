import { requireChromium } from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Grant } from './index.js'
import type { Inbound } from './testing/browser-call-page.js'
import {
  decodes,
  energyGrowth,
  isCamera,
  isPlaceholder,
  kib,
  noRenegotiation,
  roster,
  sees,
  SILENT,
  startCallHarness,
  until,
  type CallHarness,
  type Member,
} from './testing/browser-call-harness.js'

/**
 * The headless controller in real Chromium (SPEC K1, K3, K6–K8, K13): pages (one browser context
 * each) run `createCall` on the browser's own WebRTC, Chromium's fake camera (640×480) and
 * microphone (a beep every 500 ms) and the default placeholders (2×2 black, silence), through
 * the real broker, ICE on 127.0.0.1 only. Frames are judged where they are decoded: the inbound
 * RTP of the receiver behind a participant's track, and a `<video>` bound to its stream. SDP is
 * counted on every RTCPeerConnection the page makes (no controller seam). The tests run in order
 * on the same pages. Node side: ./testing/browser-call-harness.ts; page: ./testing/browser-call-page.ts.
 */

const chromiumPath = requireChromium('the call browser tests')
const HOST = { kind: 'name', name: 'Ann' } as const
/** ~5–10 s each on a quiet box; a shared 2-core box under load needs far more. */
const TEST_MS = 60_000

let h: CallHarness

beforeAll(async () => {
  if (chromiumPath) h = await startCallHarness(HOST)
})

afterAll(async () => {
  await h?.stop()
})

const pairs = (all: readonly Member[]) =>
  all.flatMap((at) => all.filter((from) => from !== at).map((from) => [at, from] as const))

describe.skipIf(!chromiumPath)('the call controller in real Chromium', () => {
  const members: Member[] = []

  it(
    '3 pages with cameras see each other’s camOn and decode camera frames; cam and mic toggles never renegotiate (K3, K13)',
    async () => {
      const t0 = Date.now()
      // Ann first: the host tier names her, and the first announcing under the name is host.
      members.push(await h.open('Ann', { cam: true }))
      members.push(
        ...(await Promise.all([h.open('Bob', { cam: true }), h.open('Cy', { cam: true })])),
      )
      const [a, b, c] = members as [Member, Member, Member]
      await roster(members)
      for (const m of members) {
        expect(await kib(m, 'state')).toMatchObject({ status: 'joined', camOn: true, micOn: false })
        const ps = await kib(m, 'participants')
        expect(ps.find((p) => p.isSelf)?.role, m.name).toBe(m === a ? 'host' : 'guest')
        expect(
          ps.every((p) => p.camOn && !p.micOn && p.kind === 'human'),
          m.name,
        ).toBe(true)
      }
      await Promise.all(
        pairs(members).map(([at, from]) => decodes(at, from, 'video', isCamera, 'camera')),
      )
      // A `<video>` bound to each participant's stream presents camera-sized frames.
      await Promise.all(
        pairs(members).map(([at, from]) =>
          until(
            () => kib(at, 'video', from.id, 'stream'),
            (v) => v.frames >= 3 && v.width >= 160 && v.width * 3 === v.height * 4,
            `${at.name} plays ${from.name}'s camera`,
          ),
        ),
      )
      console.log(
        `[call.browser] 3 pages joined, camera frames everywhere in ${Date.now() - t0} ms`,
      )
      // Every mic is off, and no page made an audio graph: Chromium's silent placeholder is a
      // track generator, and nobody is metered for speaking, though every link delivered its
      // peers' (silent) audio lanes.
      for (const m of members) expect(await kib(m, 'audioContexts'), m.name).toBe(0)

      // Camera off at Bob: the others see camOn false and his lane goes back to the placeholder…
      expect(await kib(b, 'toggleCam')).toBe(false)
      await Promise.all(
        [a, c].map(async (at) => {
          await sees(at, b, 'camOn', false)
          await decodes(at, b, 'video', isPlaceholder, 'camera off')
        }),
      )
      // …and on again.
      expect(await kib(b, 'toggleCam')).toBe(true)
      await Promise.all([a, c].map((at) => decodes(at, b, 'video', isCamera, 'camera on again')))

      // Mic on and off at Cy: the roster follows; the lane carries the beeps, then silence.
      expect(await kib(c, 'toggleMic')).toBe(true)
      await Promise.all([sees(a, c, 'micOn', true), sees(b, c, 'micOn', true)])
      await until(
        () => energyGrowth(a, c, 'audio'),
        (d) => d > SILENT,
        "Ann hears Cy's mic",
      )
      expect(await kib(c, 'toggleMic')).toBe(false)
      await sees(b, c, 'micOn', false)
      await until(
        () => energyGrowth(a, c, 'audio'),
        (d) => d < SILENT,
        "Ann hears Cy's silence",
      )

      await noRenegotiation(members)
      for (const m of members) expect(await kib(m, 'errors'), m.name).toEqual([])
    },
    TEST_MS,
  )

  it(
    "active speaker: Cy's beeping fake mic makes him `speaking` for Ann and Bob; a muted Bob never is (K13)",
    async () => {
      const [a, b, c] = members as [Member, Member, Member]
      expect(await kib(c, 'toggleMic')).toBe(true)
      for (const m of [a, b]) {
        await until(
          () => kib(m, 'spoke'),
          (ids) => ids.includes(c.id),
          `${m.name} sees Cy speaking`,
          // Beeps are short and the meter samples every 100 ms: allow a loaded machine its time.
          30_000,
        )
      }
      expect(await kib(a, 'spoke')).not.toContain(b.id)
      expect(await kib(c, 'toggleMic')).toBe(false)
    },
    TEST_MS,
  )

  it(
    'a shared canvas arrives on shareStream, not on the camera; stopShare returns the placeholder (K13)',
    async () => {
      const [a, b, c] = members as [Member, Member, Member]
      await kib(a, 'shareCanvas', 320, 180)
      expect(await kib(a, 'state')).toMatchObject({ sharing: true })
      const isCanvas = (f: Inbound | null) => !!f && f.width === 320 && f.height === 180
      await Promise.all(
        [b, c].map(async (at) => {
          await decodes(at, a, 'share', isCanvas, 'the shared canvas')
          await decodes(at, a, 'video', isCamera, 'still the camera')
          await until(
            () => kib(at, 'video', a.id, 'share'),
            (v) => v.frames >= 3 && v.width === 320 && v.height === 180,
            `${at.name} plays Ann's share`,
          )
        }),
      )
      await kib(a, 'stopShare')
      expect(await kib(a, 'state')).toMatchObject({ sharing: false })
      await Promise.all([b, c].map((at) => decodes(at, a, 'share', isPlaceholder, 'share stopped')))
      await noRenegotiation(members)
    },
    TEST_MS,
  )

  it(
    'the host withholds see-screen from Cy: every camera reaches him as the placeholder, Bob keeps it; widening restores it (K6, K8)',
    async () => {
      const [a, b, c] = members as [Member, Member, Member]
      const narrow: Grant = {
        perceive: ['read-chat', 'read-roster', 'receive-directed', 'hear-audio'],
        act: ['send-chat', 'speak', 'act'],
      }
      expect(await kib(b, 'setGrant', c.id, narrow), 'only the host sets grants').toBe(false)
      expect(await kib(a, 'setGrant', c.id, narrow)).toBe(true)
      // Every sender gates its own link to Cy (perceive is enforced by the sender)…
      await Promise.all([
        decodes(c, a, 'video', isPlaceholder, "Ann's camera withheld"),
        decodes(c, b, 'video', isPlaceholder, "Bob's camera withheld"),
        // …Bob still sees Ann, and Cy keeps `speak`: his camera still reaches the others.
        decodes(b, a, 'video', isCamera, "Ann's camera"),
        decodes(a, c, 'video', isCamera, "Cy's camera"),
      ])
      expect(await kib(a, 'setGrant', c.id, null)).toBe(true)
      await Promise.all([
        decodes(c, a, 'video', isCamera, "Ann's camera restored"),
        decodes(c, b, 'video', isCamera, "Bob's camera restored"),
      ])
      await noRenegotiation(members)
    },
    TEST_MS,
  )

  it(
    'an agent page perceives no media: placeholders on every lane from everyone (K6, K7)',
    async () => {
      const [a, b, c] = members as [Member, Member, Member]
      const agent = await h.open('Dee', { meta: { role: 'agent' } })
      members.push(agent)
      await roster(members)
      for (const m of [a, b, c]) {
        const dee = (await kib(m, 'participants')).find((p) => p.id === agent.id)
        // Without `speak` the agent is shown without streams.
        expect(dee, m.name).toMatchObject({ kind: 'agent', stream: null, share: null })
      }
      // Real sound on Ann's microphone, real frames on her share lane: Bob gets them, Dee never.
      expect(await kib(a, 'toggleMic')).toBe(true)
      await kib(a, 'shareCanvas', 320, 180)
      await until(
        () => energyGrowth(b, a, 'audio'),
        (d) => d > SILENT,
        "Bob hears Ann's mic",
      )
      await Promise.all(
        [a, b, c].flatMap((from) => [
          decodes(agent, from, 'video', isPlaceholder, 'camera placeholder'),
          decodes(agent, from, 'share', isPlaceholder, 'share placeholder'),
        ]),
      )
      for (const from of [a, b, c]) {
        const lanes = await kib(agent, 'inbound', from.id)
        for (const lane of ['audio', 'shareAudio'] as const) {
          // Silence flows (bytes) but never a sound.
          expect(lanes[lane]?.bytes, `${from.name} ${lane}`).toBeGreaterThan(0)
          expect(lanes[lane]?.audioEnergy, `${from.name} ${lane}`).toBeLessThan(SILENT)
        }
      }
      await kib(a, 'stopShare')
      expect(await kib(a, 'toggleMic')).toBe(false)
      await noRenegotiation(members)
    },
    TEST_MS,
  )

  it(
    'a killed page drops off every roster; a reloaded page rejoins and exchanges camera frames again (K3)',
    async () => {
      const [a, b, c, agent] = members as [Member, Member, Member, Member]
      const t0 = Date.now()
      await agent.page.close()
      members.pop()
      await roster(members)
      const dropped = Date.now() - t0

      const oldC = c.id
      const back = await h.open('Cy', { cam: true, page: c.page })
      members[2] = back
      expect(back.id).not.toBe(oldC)
      await roster(members)
      await Promise.all(
        [a, b].flatMap((m) => [
          decodes(m, back, 'video', isCamera, 'the reloaded camera'),
          decodes(back, m, 'video', isCamera, 'camera after reload'),
        ]),
      )
      console.log(
        `[call.browser] killed tab dropped in ${dropped} ms; reloaded tab back with media in ${Date.now() - t0} ms`,
      )
      // The links to the vanished tabs may fail loudly; nothing else may.
      const gone = [agent.id, oldC]
      for (const m of members) {
        const errors = (await kib(m, 'errors')).filter((e) => !gone.some((id) => e.startsWith(id)))
        expect(errors, m.name).toEqual([])
      }
    },
    TEST_MS,
  )
})
