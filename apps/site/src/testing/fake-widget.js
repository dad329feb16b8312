// A stand-in for packages/widget/dist/widget.js in the site's own tests (and for local work while
// the real widget is being built: `KIBITZ_WIDGET_JS=apps/site/src/testing/fake-widget.js`).
// Same surface as the real IIFE: `window.Kibitz = { mount, version }`, auto-mount from the script
// tag's `data-room`/`data-name`. It never dials anything: `broadcast`/`onMessage` ride a
// BroadcastChannel per room, so two tabs of one browser context can exercise follow-me.
// Every mount is recorded in `window.__kibitzFake.mounts` for the tests to read.
;(() => {
  const mounts = []
  window.__kibitzFake = { mounts }

  function mount(options) {
    if (!options || typeof options.room !== 'string' || options.room === '') {
      throw new TypeError('Kibitz.mount: options.room is required')
    }
    const record = {
      room: options.room,
      name: options.name,
      startOpen: options.startOpen === true,
      preview: options.preview === true,
      mounted: true,
    }
    mounts.push(record)
    const self = Math.random().toString(36).slice(2, 10)
    const box = document.createElement('div')
    box.setAttribute('data-kibitz-fake', options.room)
    box.setAttribute('role', 'status')
    box.textContent = `${options.preview ? 'preview' : 'call'}: ${options.room}`
    box.style.cssText =
      'position:fixed;right:12px;bottom:12px;padding:6px 10px;border-radius:8px;' +
      'background:#222;color:#fff;font:12px system-ui;z-index:2147483647'
    document.body.append(box)
    const channel = options.preview ? null : new BroadcastChannel(`kibitz-fake:${options.room}`)
    const messageListeners = new Set()
    if (channel) {
      channel.onmessage = (event) => {
        for (const cb of messageListeners) cb(event.data.data, event.data.from)
      }
    }
    return {
      unmount() {
        record.mounted = false
        channel?.close()
        box.remove()
      },
      broadcast(data) {
        channel?.postMessage({ data, from: self })
      },
      onMessage(cb) {
        messageListeners.add(cb)
        return () => messageListeners.delete(cb)
      },
      async join() {},
      async leave() {},
      getState: () => ({ inCall: !options.preview, micOn: false, camOn: false, self }),
      getParticipants: () => [{ id: self, name: options.name ?? '', isSelf: true }],
      on: () => () => {},
    }
  }

  window.Kibitz = { mount, version: '0.0.0-fake' }
  const script = document.currentScript
  const room = script?.getAttribute('data-room')
  if (room) mount({ room, name: script.getAttribute('data-name') ?? undefined })
})()
