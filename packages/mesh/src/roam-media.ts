/**
 * `@kibitz/mesh/roam`: media placeholders for Node peers on `@roamhq/wrtc` (M33). Pass roam's
 * `nonstandard` namespace: nothing here imports roam, which stays the caller's dependency.
 *
 * ```ts
 * import wrtc from '@roamhq/wrtc'
 * const placeholders = roamPlaceholders(wrtc.nonstandard)
 * createMesh({ ...options, wrtc, media: { placeholder: placeholders.placeholder } })
 * // after mesh.close(): placeholders.stop()
 * ```
 */
import type { Placeholders } from './media-lanes.js'

export type { Placeholders } from './media-lanes.js'

/** The part of roam's `nonstandard` namespace the placeholders use. */
export interface RoamNonstandard {
  RTCVideoSource: new () => {
    createTrack(): unknown
    onFrame(frame: { width: number; height: number; data: Uint8Array }): void
  }
  RTCAudioSource: new () => {
    createTrack(): unknown
    onData(data: { samples: Int16Array; sampleRate: number }): void
  }
}

export interface RoamPlaceholderOptions {
  /** How often the 2×2 black frame is re-sent (ms). Default 250. */
  frameIntervalMs?: number
}

const SAMPLE_RATE = 48_000
/** roam's audio source takes exactly 10 ms of samples per `onData`. */
const FRAME_SAMPLES = SAMPLE_RATE / 100

/** A 2×2 black I420 frame: Y = 0, U = V = 128. */
function blackFrame(): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(6)
  data.fill(128, 4)
  return { width: 2, height: 2, data }
}

/**
 * Flowing placeholders on roam: a 2×2 black video track fed every `frameIntervalMs`, a silent
 * audio track fed 10 ms of zeros every 10 ms. Made on first use, one per kind (every lane and
 * every mesh may share them); the timers never keep a process alive. A kind that cannot be made
 * is null (the mesh then fails closed on withheld lanes).
 */
export function roamPlaceholders(
  nonstandard: RoamNonstandard,
  options: RoamPlaceholderOptions = {},
): Placeholders {
  const frameIntervalMs = Math.max(10, options.frameIntervalMs ?? 250)
  const made = new Map<'audio' | 'video', MediaStreamTrack | null>()
  const timers: ReturnType<typeof setInterval>[] = []
  let stopped = false

  function every(ms: number, fn: () => void): void {
    fn()
    const timer = setInterval(fn, ms)
    timer.unref?.()
    timers.push(timer)
  }

  function make(kind: 'audio' | 'video'): MediaStreamTrack | null {
    try {
      if (kind === 'video') {
        const source = new nonstandard.RTCVideoSource()
        const track = source.createTrack() as MediaStreamTrack
        const frame = blackFrame()
        every(frameIntervalMs, () => source.onFrame(frame))
        return track
      }
      const source = new nonstandard.RTCAudioSource()
      const track = source.createTrack() as MediaStreamTrack
      const samples = new Int16Array(FRAME_SAMPLES)
      every(10, () => source.onData({ samples, sampleRate: SAMPLE_RATE }))
      return track
    } catch {
      return null
    }
  }

  return {
    placeholder(kind) {
      if (stopped || (kind !== 'audio' && kind !== 'video')) return null
      if (!made.has(kind)) made.set(kind, make(kind))
      return made.get(kind) ?? null
    },
    stop() {
      stopped = true
      for (const timer of timers.splice(0)) clearInterval(timer)
      for (const track of made.values()) track?.stop()
      made.clear()
    },
  }
}
