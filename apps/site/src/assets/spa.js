// The single-page demo: a hash router with four routes and a call that follows you across them
// (and makes everyone on the call follow you): the follow-me snippet of the embed guide.
import { kibitz } from './site.js'

const ROUTES = ['#/home', '#/features', '#/pricing', '#/about']
const DEFAULT_ROUTE = ROUTES[0]

function render() {
  const route = ROUTES.includes(location.hash) ? location.hash : DEFAULT_ROUTE
  for (const panel of document.querySelectorAll('[data-route]')) {
    panel.hidden = panel.getAttribute('data-route') !== route
  }
  for (const tab of document.querySelectorAll('.tabs a')) {
    if (tab.getAttribute('href') === route) tab.setAttribute('aria-current', 'page')
    else tab.removeAttribute('aria-current')
  }
  document.querySelector('[data-testid="route"]').textContent = route
}

if (!ROUTES.includes(location.hash)) history.replaceState(null, '', DEFAULT_ROUTE)
render()
addEventListener('hashchange', render)

// ---- follow-me ----
const Kibitz = kibitz()
if (Kibitz) {
  const room = new URLSearchParams(location.search).get('room') || 'spa-demo'
  const call = Kibitz.mount({ room })
  let applyingRemote = false // guard so a move we're applying doesn't echo back

  // tell everyone where I just went
  addEventListener('hashchange', () => {
    if (!applyingRemote) call.broadcast({ kind: 'route', route: location.hash })
  })

  // follow someone else's move
  call.onMessage((data) => {
    if (data?.kind !== 'route' || !ROUTES.includes(data.route) || location.hash === data.route) {
      return
    }
    applyingRemote = true
    location.hash = data.route // fires hashchange → the router above updates the page
    setTimeout(() => (applyingRemote = false), 0)
  })
}
