import { describe, expect, it } from 'vitest'
import { launchChromium, requireChromium } from './chromium.js'
import { descendantProcesses } from './proc-tree.js'

const chromiumPath = requireChromium('the Chromium launch test')

describe.skipIf(!chromiumPath)('launchChromium', () => {
  it("keeps Playwright's disabled features and loads no omnibox WebUI for new contexts", async () => {
    const chromium = await launchChromium()
    try {
      await chromium.newPage('about:blank')
      await chromium.newPage('about:blank')
      // The popup's renderer starts within a few hundred ms of a window (when it is not disabled).
      await new Promise((r) => setTimeout(r, 1_000))
      const ours = descendantProcesses()
      const browser = ours.find(
        (p) => p.cmd.includes('--remote-debugging-pipe') && !p.cmd.includes(' --type='),
      )
      expect(browser, 'the browser process').toBeDefined()
      // Chromium reads the last --disable-features only: it must hold every earlier one's items.
      const lists = [...browser!.cmd.matchAll(/--disable-features=(\S*)/g)].map((m) =>
        m[1]!.split(','),
      )
      expect(lists.length).toBeGreaterThan(0)
      const last = new Set(lists.at(-1))
      const lost = lists.flat().filter((feature) => !last.has(feature))
      expect(lost).toEqual([])
      const webui = ours.filter((p) => p.cmd.includes(' --top-chrome-webui'))
      expect(webui.map((p) => p.pid)).toEqual([])
    } finally {
      await chromium.stop()
    }
  })
})
