/**
 * Page entry for the first-frame benchmark, bare side: upstream simple-peer with the camera as its
 * stream, signaled as simply as possible (JSON text over one WebSocket to a relay that forwards
 * to the other page of the room). Only 127.0.0.1 candidates are passed on, as the Kibitz side
 * does. Query: `relay` (ws URL), `room`, `initiator` (1 or 0).
 */
import SimplePeer from 'simple-peer'
import {
  addVideo,
  mark,
  markPeerConnections,
  watchFirstFrames,
  type FirstFrameResult,
} from './first-frame-types.js'

const query = new URLSearchParams(location.search)
const result: FirstFrameResult = {
  firstFrameMs: null,
  origin: performance.timeOrigin,
  error: null,
  marks: {},
}
window.firstFrame = result
mark(result, 'script')
markPeerConnections(result)
const video = addVideo()
watchFirstFrames(video, result)

async function main(): Promise<void> {
  const ws = new WebSocket(
    `${query.get('relay')}/?room=${encodeURIComponent(query.get('room') ?? '')}`,
  )
  const opened = new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = () => reject(new Error('relay unreachable'))
  })
  // Signals may arrive while the camera starts: keep them for the peer.
  const early: SimplePeer.SignalData[] = []
  let deliver: (signal: SimplePeer.SignalData) => void = (signal) => early.push(signal)
  ws.onmessage = (e) => deliver(JSON.parse(String(e.data)) as SimplePeer.SignalData)
  const camera = await navigator.mediaDevices.getUserMedia({ video: true })
  mark(result, 'camera')
  const peer = new SimplePeer({
    initiator: query.get('initiator') === '1',
    stream: camera,
    trickle: true,
    config: { iceServers: [] },
  })
  deliver = (signal) => peer.signal(signal)
  for (const signal of early.splice(0)) peer.signal(signal)
  peer.on('signal', (signal: SimplePeer.SignalData) => {
    const candidate = (signal as { candidate?: { candidate?: string } }).candidate?.candidate
    if (candidate !== undefined && !candidate.includes(' 127.0.0.1 ')) return
    void opened.then(() => ws.send(JSON.stringify(signal)))
  })
  peer.on('connect', () => mark(result, 'link'))
  peer.on('stream', (stream: MediaStream) => {
    video.srcObject = stream
    void video.play().catch(() => undefined)
  })
  peer.on('error', (error: Error) => (result.error = String(error)))
}

main().catch((error: unknown) => (result.error = String(error)))
