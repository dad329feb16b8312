// The landing page: a fresh room behind "Start a call", its link with a copy button, and a
// preview of the widget (self-view only, never dials).
import { createRoomId, kibitz, roomLink, wireCopyButtons } from './site.js'

const room = createRoomId()
const start = document.getElementById('start-call')
if (start) start.href = `room.html#${room}`
const link = document.getElementById('start-link')
if (link) link.textContent = roomLink(room)
for (const id of ['start-share', 'start-note']) {
  const el = document.getElementById(id)
  if (el) el.hidden = false
}
for (const el of document.querySelectorAll('.origin')) el.textContent = location.origin
wireCopyButtons()

kibitz()?.mount({ room: 'kibitz-preview', preview: true })
