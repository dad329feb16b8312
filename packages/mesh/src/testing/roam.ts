import wrtc from '@roamhq/wrtc'
import type { WebRtcImplementation } from '../peer-link.js'

/**
 * Test-only media helpers on `@roamhq/wrtc` (TESTING.md "WebRTC in Node"): real sources (a sized
 * video, a tone) and sinks that record every decoded frame. Every timer is unref'd; `stop()` ends
 * what a helper made. Keep vitest's `pool: 'forks'` where this loads (roam crashes in workers).
 */

const { RTCVideoSource, RTCVideoSink, RTCAudioSource, RTCAudioSink } = wrtc.nonstandard

export const roam = wrtc as unknown as WebRtcImplementation
export const roamNonstandard = wrtc.nonstandard

export interface Source {
  track: MediaStreamTrack
  stop(): void
}

function every(ms: number, fn: () => void): ReturnType<typeof setInterval> {
  const timer = setInterval(fn, ms)
  timer.unref()
  return timer
}

/** A `width`×`height` mid-grey video track, 20 frames a second. */
export function videoSource(width: number, height: number): Source {
  const source = new RTCVideoSource()
  const track = source.createTrack()
  const data = new Uint8Array(width * height * 1.5).fill(128)
  const frame = { width, height, data }
  source.onFrame(frame)
  const timer = every(50, () => source.onFrame(frame))
  return {
    track: track as unknown as MediaStreamTrack,
    stop() {
      clearInterval(timer)
      track.stop()
    },
  }
}

/** A loud 440 Hz tone (48 kHz mono), 10 ms per `onData` like roam wants. */
export function toneSource(): Source {
  const source = new RTCAudioSource()
  const track = source.createTrack()
  const samples = new Int16Array(480)
  for (let i = 0; i < samples.length; i++) {
    samples[i] = Math.round(12_000 * Math.sin((2 * Math.PI * 440 * i) / 48_000))
  }
  const timer = every(10, () => source.onData({ samples, sampleRate: 48_000 }))
  return {
    track: track as unknown as MediaStreamTrack,
    stop() {
      clearInterval(timer)
      track.stop()
    },
  }
}

export interface VideoWatch {
  /** `WxH` of every frame decoded since the last `reset()`. */
  readonly sizes: string[]
  reset(): void
  stop(): void
}

/** Records the size of every decoded frame of a remote video track. */
export function watchVideo(track: MediaStreamTrack): VideoWatch {
  const sink = new RTCVideoSink(track as never)
  const sizes: string[] = []
  sink.onframe = ({ frame }: { frame: { width: number; height: number } }) => {
    sizes.push(`${frame.width}x${frame.height}`)
  }
  return { sizes, reset: () => void sizes.splice(0), stop: () => sink.stop() }
}

export interface AudioWatch {
  /** 10 ms chunks decoded since the last `reset()`, and their loudest sample. */
  readonly chunks: number
  readonly peak: number
  reset(): void
  stop(): void
}

/** Records how much, and how loud, a remote audio track plays. */
export function watchAudio(track: MediaStreamTrack): AudioWatch {
  const sink = new RTCAudioSink(track as never)
  let chunks = 0
  let peak = 0
  sink.ondata = ({ samples }: { samples: Int16Array }) => {
    chunks++
    for (const s of samples) peak = Math.max(peak, Math.abs(s))
  }
  return {
    get chunks() {
      return chunks
    },
    get peak() {
      return peak
    },
    reset() {
      chunks = 0
      peak = 0
    },
    stop: () => sink.stop(),
  }
}
