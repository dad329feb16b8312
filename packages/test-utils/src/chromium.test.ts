import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { launchChromium, requireChromium } from './chromium.js'

const chromiumPath = requireChromium('the Chromium launch test')

interface Proc {
  pid: number
  ppid: number
  /** The command line, arguments joined by spaces (Chromium's children rewrite theirs so). */
  cmd: string
}

/** Every process of this machine we may read (Linux /proc). */
function processes(): Proc[] {
  const out: Proc[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ')
      out.push({ pid: Number(name), ppid, cmd })
    } catch {
      // Gone meanwhile.
    }
  }
  return out
}

/** This test process's descendants. */
function descendants(): Proc[] {
  const all = processes()
  const ours = new Set([process.pid])
  let grew = true
  while (grew) {
    grew = false
    for (const p of all) {
      if (!ours.has(p.pid) && ours.has(p.ppid)) {
        ours.add(p.pid)
        grew = true
      }
    }
  }
  return all.filter((p) => p.pid !== process.pid && ours.has(p.pid))
}

describe.skipIf(!chromiumPath)('launchChromium', () => {
  it("keeps Playwright's disabled features and loads no omnibox WebUI for new contexts", async () => {
    const chromium = await launchChromium()
    try {
      await chromium.newPage('about:blank')
      await chromium.newPage('about:blank')
      // The popup's renderer starts within a few hundred ms of a window (when it is not disabled).
      await new Promise((r) => setTimeout(r, 1_000))
      const ours = descendants()
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
