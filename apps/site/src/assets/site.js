// Shared helpers of the demo site's pages (plain ES module, no build step).

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
/** Longest room id the engine keeps (MAX_ROOM_CHARS in @kibitz/protocol). */
const MAX_ROOM_CHARS = 40

/**
 * A fresh unguessable room id: `room-` + `length` base-36 characters from crypto.getRandomValues,
 * without modulo bias (12 characters ≈ 62 bits). Same shape as createRoomId in @kibitz/protocol.
 */
export function createRoomId(length = 12) {
  const out = []
  const buf = new Uint8Array(length * 2)
  while (out.length < length) {
    crypto.getRandomValues(buf)
    for (const byte of buf) {
      // 252 = 7 × 36: drop the top 4 byte values so every character is equally likely.
      if (byte < 252 && out.length < length) out.push(ALPHABET[byte % 36])
    }
  }
  return `room-${out.join('')}`
}

/**
 * The room id the engine will use for `input` (mirrors normalizeRoomId in @kibitz/protocol):
 * lowercase, runs of anything but a–z and 0–9 become `-`, trimmed, at most 40 characters.
 * Returns '' when nothing is left.
 */
export function normalizeRoomId(input) {
  if (typeof input !== 'string') return ''
  return input
    .slice(0, MAX_ROOM_CHARS * 4)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, MAX_ROOM_CHARS)
    .replace(/-+$/, '')
}

/** The room named by a URL: its fragment (`#room-abc`) first, else `?room=`; '' when neither. */
export function roomFromUrl(url) {
  const u = new URL(url)
  let fragment = u.hash.slice(1)
  try {
    fragment = decodeURIComponent(fragment)
  } catch {
    // keep it raw; normalization drops what does not belong in a room id
  }
  return normalizeRoomId(fragment) || normalizeRoomId(u.searchParams.get('room') ?? '')
}

/** The shareable link of the room page for `room`, next to the current page. */
export function roomLink(room, base = location.href) {
  const u = new URL('room.html', base)
  u.hash = room
  return u.href
}

/**
 * Wire every `[data-copy]` button: it copies the text of the element whose id it names and says
 * so in a polite live region next to it. Falls back to selecting the text when the Clipboard API
 * is unavailable (or refused), so the visitor can copy by hand.
 */
export function wireCopyButtons(root = document) {
  for (const button of root.querySelectorAll('button[data-copy]')) {
    const status = document.createElement('span')
    status.className = 'copy-status'
    status.setAttribute('role', 'status')
    button.after(status)
    button.addEventListener('click', async () => {
      const source = document.getElementById(button.dataset.copy ?? '')
      const text = source?.textContent ?? ''
      try {
        await navigator.clipboard.writeText(text)
        status.textContent = 'Copied'
      } catch {
        if (source) getSelection()?.selectAllChildren(source)
        status.textContent = 'Press Ctrl+C to copy'
      }
      setTimeout(() => (status.textContent = ''), 2500)
    })
  }
}

/** `Kibitz` from widget.js, or null with a visible note in `#widget-missing` when it failed to load. */
export function kibitz() {
  const k = window.Kibitz
  if (k && typeof k.mount === 'function') return k
  const note = document.getElementById('widget-missing')
  if (note) note.hidden = false
  return null
}
