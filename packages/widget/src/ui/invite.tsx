import type { ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { MountOptions } from '../types.js'

/** The invite: the embedder's builder, else the page's own address (the room rides the page). */
export function inviteUrl(options: MountOptions): string {
  try {
    const custom = options.inviteLink?.()
    if (typeof custom === 'string' && custom) return custom
  } catch {
    // An embedder's builder that throws falls back to the page address.
  }
  return globalThis.location?.href ?? ''
}

/** Copy a text; the Clipboard API when the page may use it, else a hidden textarea. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    const area = document.createElement('textarea')
    area.value = text
    area.setAttribute('readonly', '')
    area.style.cssText = 'position:fixed;opacity:0;pointer-events:none'
    document.body.append(area)
    area.select()
    let ok = false
    try {
      ok = document.execCommand('copy')
    } catch {
      ok = false
    }
    area.remove()
    return ok
  }
}

/** "Copy invite" with a short confirmation announced to screen readers. */
export function CopyInvite({ link }: { link: () => string }): ComponentChildren {
  const [done, setDone] = useState<'' | 'ok' | 'fail'>('')
  useEffect(() => {
    if (!done) return
    const t = setTimeout(() => setDone(''), 2000)
    return () => clearTimeout(t)
  }, [done])
  return (
    <button
      className="ic"
      type="button"
      data-testid="copy-invite"
      onClick={() => void copyText(link()).then((ok) => setDone(ok ? 'ok' : 'fail'))}
    >
      <span aria-live="polite">
        {done === 'ok' ? 'Copied' : done === 'fail' ? 'Copy failed' : 'Copy invite'}
      </span>
    </button>
  )
}
