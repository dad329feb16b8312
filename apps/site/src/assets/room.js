// The room page: the room is the URL fragment (`room.html#room-abc123`) or `?room=`; without one
// we make an unguessable room and put it in the fragment, so the address bar is the invite.
import { createRoomId, kibitz, roomFromUrl, roomLink, wireCopyButtons } from './site.js'

const Kibitz = kibitz()
let current = ''
let call = null

function enter() {
  let room = roomFromUrl(location.href)
  const fromQuery = location.hash === '' && room !== ''
  if (room === '') room = createRoomId()
  // Keep the address bar canonical: the fragment is exactly the room the widget joins.
  if (!fromQuery && location.hash !== `#${room}`) history.replaceState(null, '', `#${room}`)
  if (room === current) return
  current = room
  document.getElementById('room-name').textContent = room
  document.getElementById('room-link').textContent = roomLink(room)
  document.title = `${room} — Kibitz`
  call?.unmount()
  call = Kibitz ? Kibitz.mount({ room, startOpen: true }) : null
}

enter()
wireCopyButtons()
// Editing the fragment by hand moves you to that room.
addEventListener('hashchange', enter)
