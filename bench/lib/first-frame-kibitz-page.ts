/**
 * Page entry for the first-frame benchmark, Kibitz side: the headless controller as an app uses
 * it — `createCall` through the broker, `join({ cam: true })`, the other participant's `stream`
 * bound to a `<video>`. Query: `signal` (broker URL), `room`, `name`.
 */
// First: the opt-in trace patches browser APIs before any library module evaluates.
import { traceMarks } from './first-frame-probe.js'
import { createCall } from '@kibitz/call'
import { loopbackOnly } from '@kibitz/mesh'
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
result.marks = Object.assign(traceMarks, result.marks)
markPeerConnections(result)
const video = addVideo()
watchFirstFrames(video, result)

const call = createCall({
  room: query.get('room') ?? '',
  name: query.get('name') ?? '',
  signalHost: query.get('signal') ?? '',
  candidateFilter: loopbackOnly,
})
let bound: MediaStream | null = null
call.on('state', (state) => {
  if (state.status === 'joined') mark(result, 'rostered')
  if (state.camOn) mark(result, 'camera')
})
call.on('participants', (people) => {
  if (people.some((p) => !p.isSelf && p.connected)) mark(result, 'link')
  const stream = people.find((p) => !p.isSelf && p.stream)?.stream ?? null
  if (!stream || stream === bound) return
  bound = stream
  video.srcObject = stream
  void video.play().catch(() => undefined)
})
call.join({ cam: true }).catch((error: unknown) => (result.error = String(error)))
