import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBroker, type Broker } from '@kibitz/broker'
import { launchChromium, pollUntil, requireChromium, type ChromiumHandle } from '@kibitz/test-utils'
import { buildWidgetScript } from '@kibitz/widget/build-script'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSite } from '../scripts/build.mjs'

/**
 * The real widget on the demo site: two visitors (separate browser contexts) on `embed.html` and
 * `embed-spa.html`, driving only the panel's UI, through the real broker, with Chromium's fake
 * camera and microphone. Screenshots land in test-artifacts/site for a person to look at.
 */

const chromiumPath = requireChromium('the demo site call tests')
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts/site')
const MEDIA_MS = 20_000

const room = (tag: string) => `room-${tag}-${randomBytes(5).toString('hex')}`

/** A stand-in for the browser's screen picker: a 320×180 canvas that keeps painting. */
const FAKE_DISPLAY = () => {
  navigator.mediaDevices.getDisplayMedia = async () => {
    const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 180 })
    const g = canvas.getContext('2d')!
    let n = 0
    setInterval(() => {
      g.fillStyle = `hsl(${(n += 7) % 360} 80% 50%)`
      g.fillRect(0, 0, 320, 180)
    }, 50)
    return canvas.captureStream(20)
  }
}

describe.skipIf(!chromiumPath)('the real widget on the demo site, two visitors', () => {
  let tmp: string
  let broker: Broker
  let chromium: ChromiumHandle

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'kibitz-site-call-'))
    const widgetJs = join(tmp, 'widget.js')
    await buildWidgetScript({ outfile: widgetJs })
    buildSite({ outDir: join(tmp, 'dist'), widgetJs })
    broker = await startBroker({ port: 0, host: '127.0.0.1', staticDir: join(tmp, 'dist') })
    chromium = await launchChromium({
      executablePath: chromiumPath ?? undefined,
      extraArgs: ['--autoplay-policy=no-user-gesture-required'],
    })
    mkdirSync(ARTIFACTS, { recursive: true })
  }, 120_000)

  afterAll(async () => {
    await chromium?.stop()
    await broker?.close()
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  /** A visitor in a fresh context: open the page, open the panel, type a name, join. */
  async function visit(path: string, name: string, join = true): Promise<Page> {
    const page = await chromium.newPage(undefined, { name })
    await page.addInitScript(FAKE_DISPLAY)
    await page.goto(`${broker.url}${path}`)
    const w = (sel: string) => page.locator(`kibitz-call ${sel}`)
    await w('.launch').click()
    await w('[data-testid=prejoin] input[type=text]').fill(name)
    if (join) await w('[data-testid=join]').click()
    return page
  }

  const w = (page: Page, sel: string) => page.locator(`kibitz-call ${sel}`)
  /** The tile of the participant called `name`. */
  const tileOf = (page: Page, name: string) => w(page, `.tile[data-name="${name}"]`)
  /** Their tile once our link to them is up (data and media flow from then on). */
  const linkedTile = (page: Page, name: string) =>
    w(page, `.tile[data-name="${name}"][data-connected=true]`)

  it('see each other, decode the camera, chat both ways, see mute and a shared screen', async () => {
    const r = room('embed')
    const ann = await visit(`/embed.html?room=${r}`, 'Ann')
    const bo = await visit(`/embed.html?room=${r}`, 'Bo')
    for (const [page, other] of [
      [ann, 'Bo'],
      [bo, 'Ann'],
    ] as const) {
      await linkedTile(page, other).waitFor({ timeout: MEDIA_MS })
      expect(await w(page, '.tile').count()).toBe(2)
    }

    // Camera on at Ann: Bo's tile of Ann switches to video and decodes real frames.
    await w(ann, '[data-testid=cam]').click()
    const annAtBo = tileOf(bo, 'Ann').locator('[data-kibitz-tile]')
    await pollUntil(
      () => annAtBo.getAttribute('data-cam'),
      (v) => v === 'on',
      'cam flag',
      MEDIA_MS,
    )
    const width = await pollUntil(
      () => annAtBo.locator('video').evaluate((v: HTMLVideoElement) => v.videoWidth),
      (px) => px > 2,
      "Ann's camera frames at Bo",
      MEDIA_MS,
    )
    expect(width).toBeGreaterThan(2) // the fake camera, not the 2×2 placeholder

    // Mute shows on the other side: mic on, then off again.
    await w(ann, '[data-testid=mic]').click()
    await pollUntil(
      () => annAtBo.getAttribute('data-mic'),
      (v) => v === 'on',
      'mic on',
      MEDIA_MS,
    )
    expect(await tileOf(bo, 'Ann').locator('[data-testid=mic-off]').count()).toBe(0)
    await w(ann, '[data-testid=mic]').click()
    await tileOf(bo, 'Ann').locator('[data-testid=mic-off]').waitFor({ timeout: MEDIA_MS })

    // Chat both ways, attributed by name.
    await w(ann, '[data-testid=chat-toggle]').click()
    await w(ann, '[data-testid=chat-input]').fill('hello from Ann')
    await w(ann, '[data-testid=chat-input]').press('Enter')
    await pollUntil(
      () => w(bo, '[data-testid=chat-toggle]').textContent(),
      (t) => t === 'Chat (1)',
      'unread badge at Bo',
      MEDIA_MS,
    )
    await w(bo, '[data-testid=chat-toggle]').click()
    await w(bo, '[data-chat]').filter({ hasText: 'hello from Ann' }).waitFor({ timeout: MEDIA_MS })
    expect(await w(bo, '[data-chat] b').first().textContent()).toMatch(/^Ann/)
    await w(bo, '[data-testid=chat-input]').fill('hi Ann, Bo here')
    await w(bo, '[data-testid=chat-input]').press('Enter')
    await w(ann, '[data-chat]')
      .filter({ hasText: 'hi Ann, Bo here' })
      .waitFor({ timeout: MEDIA_MS })

    // A shared screen appears on Bo's stage at the canvas's size, not the camera's.
    await w(ann, '[data-testid=share]').click()
    const stage = w(bo, '[data-testid=stage] video')
    await stage.waitFor({ timeout: MEDIA_MS })
    const size = await pollUntil(
      () => stage.evaluate((v: HTMLVideoElement) => `${v.videoWidth}x${v.videoHeight}`),
      (s) => s === '320x180',
      "Ann's screen on Bo's stage",
      MEDIA_MS,
    )
    expect(size).toBe('320x180')
    await w(bo, '.panel').screenshot({ path: join(ARTIFACTS, 'in-call-two.png') })
    await w(ann, '[data-testid=share]').click()
    await w(bo, '[data-testid=stage]').waitFor({ state: 'detached', timeout: MEDIA_MS })

    for (const p of [ann, bo]) await p.context().close()
  }, 150_000)

  it('the quick start: Start a call, a second tab on the same link, both see video and chat', async () => {
    const ann = await chromium.newPage(`${broker.url}/`, { name: 'tab1' })
    // The landing page's own preview widget is a self-view: it never dials.
    await ann.locator('#start-call').click()
    await ann.waitForURL(/\/room\.html#room-/)
    const link = ann.url()
    const bo = await chromium.newPage(link, { name: 'tab2' })
    for (const [page, name] of [
      [ann, 'Ann'],
      [bo, 'Bo'],
    ] as const) {
      // room.html opens the panel at once: name, camera on, join.
      await w(page, '[data-testid=prejoin] input[type=text]').fill(name)
      await w(page, '[data-testid=prejoin] button[aria-pressed]').nth(1).click()
      await w(page, '[data-testid=join]').click()
    }
    for (const [page, other] of [
      [ann, 'Bo'],
      [bo, 'Ann'],
    ] as const) {
      const tile = linkedTile(page, other).locator('[data-kibitz-tile]')
      await tile.waitFor({ timeout: MEDIA_MS })
      await pollUntil(
        () => tile.locator('video').evaluate((v: HTMLVideoElement) => v.videoWidth),
        (px) => px > 2,
        `${other}'s camera in the other tab`,
        MEDIA_MS,
      )
    }
    await w(ann, '[data-testid=chat-toggle]').click()
    await w(ann, '[data-testid=chat-input]').fill('it works')
    await w(ann, '[data-testid=chat-input]').press('Enter')
    await w(bo, '[data-testid=chat-toggle]').click()
    await w(bo, '[data-chat]').filter({ hasText: 'it works' }).waitFor({ timeout: MEDIA_MS })
    for (const p of [ann, bo]) await p.context().close()
  }, 120_000)

  it('lobby: a guest knocks, the host admits through the UI, then removes them', async () => {
    const r = room('lobby')
    const hana = await visit(`/embed.html?room=${r}&host=Hana&lobby=1`, 'Hana')
    await w(hana, '.panel[data-status=joined]').waitFor({ timeout: MEDIA_MS })
    const gus = await visit(`/embed.html?room=${r}&host=Hana&lobby=1`, 'Gus')
    await w(gus, '[data-testid=lobby]').waitFor({ timeout: MEDIA_MS })
    await w(gus, '.panel').screenshot({ path: join(ARTIFACTS, 'lobby-waiting.png') })

    // The host sees the knock count, opens People, admits Gus.
    await pollUntil(
      () => w(hana, '[data-testid=people-toggle]').textContent(),
      (t) => t === 'People (1 waiting)',
      'knock count at the host',
      MEDIA_MS,
    )
    await w(hana, '[data-testid=people-toggle]').click()
    const knock = w(hana, '[data-testid=knocks] li').filter({ hasText: 'Gus' })
    await knock.waitFor()
    await w(hana, '.panel').screenshot({ path: join(ARTIFACTS, 'host-tools.png') })
    await knock.getByRole('button', { name: 'Admit' }).click()
    await w(gus, '.panel[data-status=joined]').waitFor({ timeout: MEDIA_MS })
    await linkedTile(gus, 'Hana').waitFor({ timeout: MEDIA_MS })
    await linkedTile(hana, 'Gus').waitFor({ timeout: MEDIA_MS })
    // Host badge on Hana's tile at Gus; no Remove buttons for a guest.
    expect(await tileOf(gus, 'Hana').textContent()).toContain('host')
    expect(await w(gus, '.tile button').count()).toBe(0)

    // Remove is two-tap: the first press arms it, the second removes Gus.
    const remove = tileOf(hana, 'Gus').getByRole('button', { name: 'Remove Gus' })
    await remove.click()
    expect(await remove.textContent()).toBe('Sure?')
    await remove.click()
    await w(gus, '.panel[data-status=refused]').waitFor({ timeout: MEDIA_MS })
    expect(await w(gus, '[role=alert]').textContent()).toMatch(/removed you/)
    await tileOf(hana, 'Gus').waitFor({ state: 'detached', timeout: MEDIA_MS })

    for (const p of [hana, gus]) await p.context().close()
  }, 120_000)

  it('embed-spa: moving between tabs in one visitor moves the other', async () => {
    const r = room('spa')
    const a = await visit(`/embed-spa.html?room=${r}`, 'Ada')
    const b = await visit(`/embed-spa.html?room=${r}`, 'Ben')
    for (const [page, other] of [
      [a, 'Ben'],
      [b, 'Ada'],
    ] as const) {
      await linkedTile(page, other).waitFor({ timeout: MEDIA_MS })
    }
    const route = (p: Page) => p.locator('[data-testid=route]').textContent()
    const start = await route(b)
    // Click a different tab in Ada's page (light DOM: the site's own nav).
    const tabs = a.locator('.tabs a[href^="#/"]')
    const count = await tabs.count()
    let target = ''
    for (let i = 0; i < count; i++) {
      const href = (await tabs.nth(i).getAttribute('href')) ?? ''
      if (href !== start) {
        target = href
        await tabs.nth(i).click()
        break
      }
    }
    expect(target).not.toBe('')
    await pollUntil(
      () => route(b),
      (v) => v === target,
      'Ben follows Ada',
      MEDIA_MS,
    )
    // And back the other way, without ping-pong: both settle on Ben's choice.
    await b.evaluate(() => (location.hash = '#/about'))
    await pollUntil(
      () => route(a),
      (v) => v === '#/about',
      'Ada follows Ben',
      MEDIA_MS,
    )
    await new Promise((r) => setTimeout(r, 500))
    expect([await route(a), await route(b)]).toEqual(['#/about', '#/about'])
    for (const p of [a, b]) await p.context().close()
  }, 120_000)
})
