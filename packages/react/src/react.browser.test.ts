import { randomBytes } from 'node:crypto'
import { requireChromium } from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  kr,
  markVideos,
  PING_MS,
  startReactHarness,
  tile,
  until,
  view,
  type AppView,
  type ReactHarness,
  type TileView,
} from './testing/browser-react-harness.js'

/**
 * `useCall` and `<VideoTile>` in real Chromium (SPEC RX1–RX9): each page is its own browser
 * context running a React 19 app (development build, so StrictMode really double-invokes) on
 * `useCall({ room, name, signalHost, candidateFilter }, { autoJoin: true })`, through the real
 * broker, with Chromium's fake camera (640×480). Everything is judged from the DOM the app renders.
 * Node side: ./testing/browser-react-harness.ts; page: ./testing/browser-react-page.tsx.
 */

const chromiumPath = requireChromium('the @kibitz/react browser tests')
/** A few seconds each on a quiet box; a shared 2-core box under load needs more. */
const TEST_MS = 45_000

const room = () => `room-${randomBytes(6).toString('hex')}`
const names = (v: AppView) => v.tiles.map((t) => t.name).sort()
/** A `<video>` presenting real camera frames (not the 2×2 placeholder). */
const playing = (t: TileView | undefined) =>
  !!t && t.video.shown && !t.video.paused && t.video.readyState >= 2 && t.video.width > 2

let h: ReactHarness

beforeAll(async () => {
  if (chromiumPath) h = await startReactHarness()
})

afterAll(async () => {
  await h?.stop()
})

describe.skipIf(!chromiumPath)('@kibitz/react in real Chromium', () => {
  it(
    'two apps join, list each other, swap avatar ↔ video by the roster cam flag, chat, and never re-render when idle (RX1, RX3, RX4, RX6–RX10)',
    async () => {
      const t0 = Date.now()
      const r = room()
      const ann = await h.open(r, 'Ann Lee')
      const bob = await h.open(r, 'Bob')
      const both = ['Ann Lee', 'Bob']

      // Status goes connecting → joined; each page lists both, every data link open.
      for (const page of [ann, bob]) {
        const v = await until(
          () => view(page),
          (x) =>
            x.status === 'joined' &&
            JSON.stringify(names(x)) === JSON.stringify(both) &&
            x.tiles.every((t) => t.connected),
          'joined, both listed, links open',
        )
        const seen = await kr(page, 'statuses')
        expect(seen.indexOf('connecting'), seen.join()).toBeGreaterThanOrEqual(0)
        expect(seen.lastIndexOf('connecting')).toBeLessThan(seen.indexOf('joined'))
        // Joined muted with the camera off (rule 8): avatars everywhere, self video muted.
        for (const t of v.tiles) {
          expect(t, t.name).toMatchObject({ cam: 'off', speaking: 'false' })
          expect(t.video.shown, t.name).toBe(false)
        }
        expect(tile(v, 'Ann Lee')?.avatar).toBe('AL')
        expect(tile(v, 'Bob')?.avatar).toBe('B')
        expect(v.tiles.find((t) => t.self === 'true')?.video.muted).toBe(true)
        expect(v.badge).toEqual({ name: page === ann ? 'Ann Lee' : 'Bob', cam: 'off' })
      }
      console.log(`[react.browser] two apps joined and linked in ${Date.now() - t0} ms`)

      // An idle call renders nothing: heartbeats every PING_MS never reach React.
      const before = await Promise.all([kr(ann, 'renders'), kr(bob, 'renders')])
      await new Promise((r) => setTimeout(r, 4 * PING_MS + 100))
      const after = await Promise.all([kr(ann, 'renders'), kr(bob, 'renders')])
      expect(after, 'no re-render over ~2 s idle').toEqual(before)
      // …and the whole join took a bounded number of renders.
      for (const n of after) expect(n.app, JSON.stringify(n)).toBeLessThan(20)

      // Camera on at Ann: Bob's tile of Ann switches from avatar to a playing camera <video>.
      await markVideos(bob)
      await ann.click('button[data-action="cam"]')
      const on = await until(
        () => view(bob),
        (x) => tile(x, 'Ann Lee')?.cam === 'on' && playing(tile(x, 'Ann Lee')),
        "Bob plays Ann's camera",
      )
      expect(tile(on, 'Ann Lee')).toMatchObject({ avatar: null })
      // The counters do count: a visible change renders the roster — but not Bob's own badge
      // (`useParticipant` of himself), whose entry did not change.
      const bobRenders = await kr(bob, 'renders')
      expect(bobRenders.list).toBeGreaterThan(after[1]!.list)
      expect(bobRenders.self).toBe(after[1]!.self)
      expect(tile(on, 'Ann Lee')?.video.muted, 'a remote tile is the audio sink').toBe(false)
      // Ann's own tile: her preview, playing and muted.
      const self = await until(
        () => view(ann),
        (x) => playing(tile(x, 'Ann Lee')),
        'Ann sees her preview',
      )
      expect(tile(self, 'Ann Lee')?.video.muted).toBe(true)
      expect(self.badge).toEqual({ name: 'Ann Lee', cam: 'on' })

      // Camera off: back to the avatar, on the very same (still mounted) <video>.
      await ann.click('button[data-action="cam"]')
      const off = await until(
        () => view(bob),
        (x) => tile(x, 'Ann Lee')?.cam === 'off',
        "Bob sees Ann's avatar again",
      )
      expect(tile(off, 'Ann Lee')).toMatchObject({ avatar: 'AL' })
      expect(tile(off, 'Ann Lee')?.video).toMatchObject({ shown: false, mark: 'Ann Lee' })
      // And on again: the same element plays again (no remount, no re-dial).
      await ann.click('button[data-action="cam"]')
      const again = await until(
        () => view(bob),
        (x) => playing(tile(x, 'Ann Lee')),
        "Bob plays Ann's camera again",
      )
      expect(tile(again, 'Ann Lee')?.video.mark).toBe('Ann Lee')

      // Chat typed in one page appears in the other.
      await ann.fill('input[name="chat"]', 'hello from Ann')
      await ann.click('button[type="submit"]')
      await until(
        () => view(bob),
        (x) => x.chat.includes('Ann Lee: hello from Ann'),
        "Bob reads Ann's line",
      )
      await bob.fill('input[name="chat"]', 'hi Ann')
      await bob.press('input[name="chat"]', 'Enter')
      await until(
        () => view(ann),
        (x) => x.chat.join('|') === 'Ann Lee: hello from Ann|Bob: hi Ann',
        "Ann reads Bob's line after hers",
      )
      // `useCallEvent`: one subscription across re-renders, each line heard once.
      expect(await kr(bob, 'heard')).toEqual(['hello from Ann'])
      expect(await kr(ann, 'heard')).toEqual(['hi Ann'])
      console.log(`[react.browser] whole scenario in ${Date.now() - t0} ms`)
      await Promise.all([ann.close(), bob.close()])
    },
    TEST_MS,
  )

  it(
    'StrictMode: one controller, one participant; unmount (also mid-connect) leaves the room (RX2, RX10)',
    async () => {
      const r = room()
      const plain = await h.open(r, 'Plain')
      const strict = await h.open(r, 'Strict', { strict: true })
      const two = ['Plain', 'Strict']
      await Promise.all(
        [plain, strict].map((page) =>
          until(
            () => view(page),
            (x) => x.status === 'joined' && JSON.stringify(names(x)) === JSON.stringify(two),
            'both joined',
          ),
        ),
      )
      // Exactly one owned controller stays alive in the StrictMode page, and it is the joined one:
      // the other page sees two participants, not three — also a beat later.
      expect(await kr(strict, 'live')).toBe(1)
      // StrictMode is really on (React's development build): the mount effects ran twice.
      const seen = await kr(strict, 'statuses')
      expect(seen.slice(0, 2)).toEqual(['idle', 'idle'])
      expect(seen).toContain('joined')
      await new Promise((r) => setTimeout(r, 2 * PING_MS))
      expect(names(await view(plain))).toEqual(two)
      expect(names(await view(strict))).toEqual(two)
      expect(await kr(strict, 'live')).toBe(1)

      // An app unmounted while still connecting leaves no zombie behind (RX2).
      const ghost = await h.open(r, 'Ghost', { strict: true, unmountAt: 'connecting' })
      await until(
        () => kr(ghost, 'live'),
        (n) => n === 0,
        'Ghost destroyed its controller',
      )
      await until(
        () => view(plain),
        (x) => JSON.stringify(names(x)) === JSON.stringify(two),
        'no Ghost on the roster',
      )
      await ghost.close()

      // Unmount: the controller is destroyed and leaves; the other page is alone.
      await kr(strict, 'unmount')
      await until(
        () => view(plain),
        (x) => JSON.stringify(names(x)) === JSON.stringify(['Plain']),
        'Strict left the room',
      )
      expect(await kr(strict, 'live')).toBe(0)
      await Promise.all([plain.close(), strict.close()])
    },
    TEST_MS,
  )
})
