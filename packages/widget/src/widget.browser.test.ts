import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createCall, isKibitzError, type Call } from '@kibitz/call'
import { loopbackOnly } from '@kibitz/mesh'
import { nodeWrtc } from '@kibitz/mesh/node'
import { pollUntil, requireChromium, serveStatic } from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARTIFACTS, page, startWidgetRig, type WidgetRig } from './testing/harness.js'

/**
 * The packed `widget.js` in real Chromium, served by the real broker with nothing else: the
 * one-liner mounts and joins, host CSS cannot reach the panel and ours cannot reach the host,
 * an invalid room is a console error, `Kibitz.mount` / headless / `unmount` behave (SPEC W1–W6).
 */

const CHROMIUM = requireChromium('the widget browser tests')
const ROOM = `room-${randomBytes(6).toString('hex')}`

const oneLiner = (attrs: string) => `<script src="/widget.js" ${attrs}></script>`

/** Page CSS that tries everything: reset all, hide divs, restyle buttons, move the host element. */
const HOSTILE = `<style>
* { all: unset !important; font-size: 40px !important; font-family: serif !important; color: red !important; }
kibitz-call, [data-kibitz] { display: none !important; position: static !important; transform: scale(.2) !important; opacity: 0 !important; }
div, button, p, span { border: 5px solid lime !important; padding: 30px !important; margin: 20px !important; background: yellow !important; }
video { display: none !important; }
</style>`

/**
 * A host page whose policy forbids eval (no `'unsafe-eval'`), recording every violation from
 * before the widget's script runs.
 */
const STRICT_CSP = `<meta http-equiv="Content-Security-Policy" content="script-src 'self' 'unsafe-inline'">
<script>window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI))</script>`

const PAGES: Record<string, string> = {
  'plain.html': page(oneLiner(`data-room="${ROOM}" data-name="Dana"`)),
  'open.html': page(oneLiner(`data-room="${ROOM}-open" data-start-open`)),
  'hostile.html': page(oneLiner(`data-room="${ROOM}-open" data-start-open`), HOSTILE),
  'nowidget.html': page(''),
  'head.html': `<!doctype html><html><head>${oneLiner(`data-room="${ROOM}-head"`)}</head><body><p>late body</p></body></html>`,
  'invalid.html': page(oneLiner('data-room="!!!"')),
  'manual.html': page(oneLiner('')),
  'host.html': page(
    oneLiner(`data-room="${ROOM}-agent" data-host="Hana" data-name="Hana" data-start-open`),
  ),
  'csp.html': page(oneLiner(`data-room="${ROOM}-csp" data-start-open`), STRICT_CSP),
}

type Page = Awaited<ReturnType<WidgetRig['chromium']['newPage']>>

/** Computed styles of an element (in the page or, through `kibitz-call`, in the shadow root). */
async function styles(p: Page, selector: string, props: readonly string[]) {
  return p
    .locator(selector)
    .first()
    .evaluate(
      (el, names) => {
        const cs = getComputedStyle(el)
        return Object.fromEntries(names.map((n) => [n, cs.getPropertyValue(n)]))
      },
      [...props],
    )
}

const LOOK = [
  'font-size',
  'font-family',
  'color',
  'background-color',
  'padding-top',
  'border-top-width',
  'border-radius',
  'display',
] as const

describe.skipIf(!CHROMIUM)('widget.js in Chromium (packed IIFE, real broker)', () => {
  let rig: WidgetRig

  beforeAll(async () => {
    rig = await startWidgetRig(PAGES)
    mkdirSync(ARTIFACTS, { recursive: true })
  }, 120_000)
  afterAll(async () => {
    await rig?.stop()
  })

  it('the one-liner shows a launcher; the panel joins muted with the camera off', async () => {
    const p = await rig.chromium.newPage(rig.url('plain.html'))
    const launcher = p.locator('kibitz-call .launch')
    await launcher.waitFor()
    expect(await p.evaluate(() => typeof (window as { Kibitz?: unknown }).Kibitz)).toBe('object')
    await launcher.click()
    await p.locator('kibitz-call [data-testid=prejoin]').waitFor()
    // data-name pre-fills the name; the room is shown normalized.
    expect(await p.locator('kibitz-call input[type=text]').inputValue()).toBe('Dana')
    expect(await p.locator('kibitz-call [data-testid=room]').textContent()).toBe(ROOM)
    await p.locator('kibitz-call .panel').screenshot({ path: join(ARTIFACTS, 'prejoin.png') })

    await p.locator('kibitz-call [data-testid=join]').click()
    await p.locator('kibitz-call .panel[data-status=joined]').waitFor({ timeout: 20_000 })
    const tile = p.locator('kibitz-call [data-kibitz-tile][data-self=true]')
    await tile.waitFor()
    // Rule 8: muted, camera off.
    expect(await tile.getAttribute('data-mic')).toBe('off')
    expect(await tile.getAttribute('data-cam')).toBe('off')
    expect(await p.locator('kibitz-call [data-testid=mic]').getAttribute('aria-pressed')).toBe(
      'false',
    )

    await p.locator('kibitz-call [data-testid=cam]').click()
    await pollUntil(
      () => tile.getAttribute('data-cam'),
      (v) => v === 'on',
      'own camera on',
      15_000,
    )
    const frames = await pollUntil(
      () => tile.locator('video').evaluate((v: HTMLVideoElement) => v.videoWidth),
      (w) => w > 2,
      'own camera frames in the self tile',
      15_000,
    )
    expect(frames).toBeGreaterThan(2)
    await p.locator('kibitz-call .panel').screenshot({ path: join(ARTIFACTS, 'in-call-self.png') })

    // Escape minimizes to the launcher (which now shows the head count), and it reopens.
    await p.locator('kibitz-call .panel').press('Escape')
    await p.locator('kibitz-call .launch .n').waitFor()
    await p.locator('kibitz-call .launch').click()
    // Two-tap leave: the first press only arms it.
    const leave = p.locator('kibitz-call [data-testid=leave]')
    await leave.click()
    expect(await leave.textContent()).toBe('Leave?')
    await leave.click()
    await p.locator('kibitz-call [data-testid=prejoin]').waitFor()
    await p.context().close()
  }, 90_000)

  // zod/mini's objects never compile parsers with `new Function` (zod's JIT and its probe are
  // only in the full build): keep it that way for every page that embeds us.
  it('a host page that forbids eval sees no policy violation: joining parses every schema without eval', async () => {
    const p = await rig.chromium.newPage(rig.url('csp.html'))
    const refused: string[] = []
    p.on('console', (m) => {
      if (/Content Security Policy|unsafe-eval|Refused/i.test(m.text())) refused.push(m.text())
    })
    await p.locator('kibitz-call [data-testid=join]').click()
    await p.locator('kibitz-call .panel[data-status=joined]').waitFor({ timeout: 20_000 })
    expect(await p.evaluate(() => (window as { cspViolations?: string[] }).cspViolations)).toEqual(
      [],
    )
    expect(refused).toEqual([])
    await p.context().close()
  }, 60_000)

  it('page CSS cannot restyle or move the panel, and the panel does not restyle the page', async () => {
    const plain = await rig.chromium.newPage(rig.url('open.html'))
    const hostile = await rig.chromium.newPage(rig.url('hostile.html'))
    const bare = await rig.chromium.newPage(rig.url('nowidget.html'))
    for (const p of [plain, hostile]) await p.locator('kibitz-call .panel').waitFor()

    const box = (p: Page) => p.locator('kibitz-call .panel').boundingBox()
    const [a, b] = await Promise.all([box(plain), box(hostile)])
    expect(a).not.toBeNull()
    expect(b).toEqual(a)
    for (const sel of [
      'kibitz-call [data-testid=join]',
      'kibitz-call .panel',
      'kibitz-call h2',
      'kibitz-call input',
    ]) {
      expect(await styles(hostile, sel, LOOK), sel).toEqual(await styles(plain, sel, LOOK))
    }
    expect(await hostile.locator('kibitz-call').isVisible()).toBe(true)

    // Nothing of ours reaches the host page: its elements look as on a page without the widget.
    for (const sel of ['#probe', '#para', '#title', 'body']) {
      expect(await styles(plain, sel, LOOK), sel).toEqual(await styles(bare, sel, LOOK))
    }
    await hostile.screenshot({ path: join(ARTIFACTS, 'hostile-page.png') })
    for (const p of [plain, hostile, bare]) await p.context().close()
  }, 60_000)

  it('a script in <head> mounts once the body exists', async () => {
    const p = await rig.chromium.newPage(rig.url('head.html'))
    await p.locator('kibitz-call .launch').waitFor()
    expect(await p.locator('kibitz-call').count()).toBe(1)
    await p.context().close()
  }, 30_000)

  it('an invalid data-room is one console error, not a crash', async () => {
    const p = await rig.chromium.newPage()
    const errors: string[] = []
    const crashes: string[] = []
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    p.on('pageerror', (e) => crashes.push(e.message))
    await p.goto(rig.url('invalid.html'))
    await pollUntil(
      () => Promise.resolve(errors.length),
      (n) => n > 0,
      'console error',
      10_000,
    )
    expect(errors.join('\n')).toMatch(/\[kibitz\].*data-room="!!!"/)
    expect(crashes).toEqual([])
    expect(await p.locator('kibitz-call').count()).toBe(0)
    // The API is still there for a correct call.
    expect(
      await p.evaluate(() => typeof (window as { Kibitz?: { mount?: unknown } }).Kibitz?.mount),
    ).toBe('function')
    await p.context().close()
  }, 30_000)

  it('Kibitz.mount: a typed error for a bad room, headless renders nothing, unmount removes the panel', async () => {
    const p = await rig.chromium.newPage(rig.url('manual.html'))
    expect(await p.locator('kibitz-call').count()).toBe(0)
    const result = await p.evaluate(async (room) => {
      const K = (window as unknown as { Kibitz: { mount(o: unknown): Record<string, unknown> } })
        .Kibitz
      let code = ''
      try {
        K.mount({ room: '' })
      } catch (err) {
        code = String((err as { code?: string }).code)
      }
      const headless = K.mount({ room, headless: true }) as {
        element: unknown
        join(): Promise<void>
        getState(): { status: string }
        unmount(): Promise<void>
      }
      const elementsHeadless = document.querySelectorAll('kibitz-call').length
      await headless.join()
      const status = headless.getState().status
      await headless.unmount()
      const shown = K.mount({ room, startOpen: true }) as { unmount(): Promise<void> }
      const elementsShown = document.querySelectorAll('kibitz-call').length
      const open = !!document.querySelector('kibitz-call')?.shadowRoot?.querySelector('.panel')
      await shown.unmount()
      return {
        code,
        headlessElement: headless.element,
        elementsHeadless,
        status,
        elementsShown,
        open,
        after: document.querySelectorAll('kibitz-call').length,
      }
    }, `${ROOM}-manual`)
    expect(result).toEqual({
      code: 'ROOM_INVALID',
      headlessElement: null,
      elementsHeadless: 0,
      status: 'joined',
      elementsShown: 1,
      open: true,
      after: 0,
    })
    await p.context().close()
  }, 60_000)

  it("the host widens an agent's grant in the consent panel; the agent may then chat", async () => {
    const p = await rig.chromium.newPage(rig.url('host.html'), { name: 'host' })
    await p.locator('kibitz-call [data-testid=join]').click()
    await p.locator('kibitz-call .panel[data-status=joined]').waitFor({ timeout: 20_000 })
    // An AI agent: a Node controller (data only) declaring `role: 'agent'`: read-only by default.
    const agent: Call = createCall({
      room: `${ROOM}-agent`,
      name: 'Scout',
      meta: { role: 'agent' },
      // The room's settings ride its link: the same host tier as the page's data-host.
      host: { kind: 'name', name: 'Hana' },
      signalHost: rig.broker.url,
      wrtc: nodeWrtc({ bindAddress: '127.0.0.1' }),
      candidateFilter: loopbackOnly,
    })
    try {
      await agent.join()
      const tile = p.locator('kibitz-call .tile[data-name="Scout"][data-connected=true]')
      await tile.waitFor({ timeout: 20_000 })
      expect(await tile.textContent()).toContain('AI')
      await pollUntil(
        () => Promise.resolve(agent.connectedPeers().length),
        (n) => n === 1,
        'agent linked',
        20_000,
      )
      let code = ''
      try {
        agent.sendChat('may I?')
      } catch (err) {
        code = isKibitzError(err) ? err.code : String(err)
      }
      expect(code).toBe('FORBIDDEN')

      // The consent panel is open for agents: their grant as toggles, read-only by default.
      await p.locator('kibitz-call [data-testid=people-toggle]').click()
      const consent = p.locator('kibitz-call [data-testid=consent]')
      await consent.waitFor()
      const sendChat = consent.locator('input[data-cap=send-chat]')
      expect(await sendChat.isChecked()).toBe(false)
      expect(await consent.locator('input[data-cap=read-chat]').isChecked()).toBe(true)
      expect(await consent.locator('input[data-cap=hear-audio]').isChecked()).toBe(false)
      await sendChat.check()
      await pollUntil(
        () => Promise.resolve(agent.getCapabilityGrant(agent.getState().self ?? '')),
        (g) => !!g && g.act.includes('send-chat'),
        'the widened grant reaches the agent',
        20_000,
      )
      agent.sendChat('thanks, host')
      await p.locator('kibitz-call [data-testid=chat-toggle]').click()
      await p
        .locator('kibitz-call [data-chat]')
        .filter({ hasText: 'thanks, host' })
        .waitFor({ timeout: 20_000 })
      // The host's audit feed recorded the change.
      await p.locator('kibitz-call [data-testid=people-toggle]').click()
      await pollUntil(
        () => consent.locator('.audit').textContent(),
        (t) => /grant-changed/.test(t ?? ''),
        'audit entry',
        10_000,
      )
      await p.locator('kibitz-call .panel').screenshot({ path: join(ARTIFACTS, 'consent.png') })
    } finally {
      await agent.destroy()
      await p.context().close()
    }
  }, 90_000)

  it('on a page of another origin, the one-liner signals to the origin that served widget.js', async () => {
    const room = `${ROOM}-cross`
    const other = await serveStatic({
      '/index.html': page(
        `<script src="${rig.url('widget.js')}" data-room="${room}" data-name="Cross" data-start-open></script>`,
      ),
    })
    try {
      const cross = await rig.chromium.newPage(other.url, { name: 'cross' })
      expect(new URL(cross.url()).origin).not.toBe(new URL(rig.broker.url).origin)
      const local = await rig.chromium.newPage(rig.url('manual.html'), { name: 'local' })
      await local.evaluate((r) => {
        const K = (window as unknown as { Kibitz: { mount(o: unknown): unknown } }).Kibitz
        K.mount({ room: r, name: 'Local', startOpen: true })
      }, room)
      for (const p of [cross, local]) await p.locator('kibitz-call [data-testid=join]').click()
      // Each sees the other, linked: same broker, same room, from two origins.
      await cross
        .locator('kibitz-call .tile[data-name="Local"][data-connected=true]')
        .waitFor({ timeout: 20_000 })
      await local
        .locator('kibitz-call .tile[data-name="Cross"][data-connected=true]')
        .waitFor({ timeout: 20_000 })
      for (const p of [cross, local]) await p.context().close()
    } finally {
      await other.close()
    }
  }, 60_000)
})
