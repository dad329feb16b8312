/**
 * The widget's whole stylesheet, injected into its shadow root. `:host` rules are `!important`:
 * between the page and a shadow root, important declarations of the inner context win, so no page
 * rule (not even `* { all: unset !important }`) can move, hide or restyle the host element, and
 * `all: initial` stops inherited page fonts and colours at the boundary. Selectors inside never
 * match the page (shadow scoping), so nothing here leaks out.
 */
export const STYLES = `
:host{all:initial!important;position:fixed!important;z-index:2147483000!important;right:16px!important;bottom:16px!important;display:block!important;visibility:visible!important;opacity:1!important;transform:none!important;width:auto!important;height:auto!important;margin:0!important;padding:0!important;border:0!important;contain:layout style!important}
*,*::before,*::after{box-sizing:border-box}
.k{--a:#5b5bf0;--bg:#15161c;--p:#20222b;--l:#2d303c;--t:#eef0f6;--m:#9aa0b4;--bad:#e5484d;--ok:#30a46c;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--t);letter-spacing:normal;text-align:left;direction:ltr}
button,input,select,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer;border:0;background:var(--l);border-radius:10px;padding:8px 12px;min-height:36px}
button:hover{filter:brightness(1.15)}
button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,[tabindex]:focus-visible{outline:2px solid var(--a);outline-offset:2px}
button[disabled]{opacity:.5;cursor:default}
.pri{background:var(--a);color:#fff;font-weight:600}
.bad{background:var(--bad);color:#fff}
.launch{width:56px;height:56px;border-radius:50%;background:var(--a);color:#fff;box-shadow:0 6px 20px #0006;display:grid;place-items:center;padding:0;position:relative}
.launch .n{position:absolute;top:-4px;right:-4px;background:var(--ok);border-radius:9px;font-size:11px;min-width:18px;padding:0 4px}
.panel{width:380px;height:560px;max-width:calc(100vw - 32px);max-height:calc(100vh - 32px);background:var(--bg);border:1px solid var(--l);border-radius:16px;box-shadow:0 12px 40px #0008;display:flex;flex-direction:column;overflow:hidden}
.panel.wide,.panel:has(.side){width:720px}
.bar{display:flex;align-items:center;gap:8px;padding:8px 10px;border-bottom:1px solid var(--l)}
.bar h2{flex:1;font-size:14px;font-weight:600;margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ic{background:transparent;min-height:32px;padding:4px 8px}
.body{flex:1;display:flex;min-height:0;position:relative}
.main{flex:1;display:flex;flex-direction:column;min-width:0;min-height:0}
.side{width:300px;flex:none;border-left:1px solid var(--l);display:flex;flex-direction:column;min-height:0;background:var(--p)}
.scr{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:10px}
.pad{padding:16px;display:flex;flex-direction:column;gap:12px;overflow:auto}
.center{flex:1;justify-content:center;align-items:center;text-align:center}
label{display:flex;flex-direction:column;gap:4px;color:var(--m);font-size:12px}
label.row{flex-direction:row;color:var(--t);font-size:14px}
input[type=text],select,textarea{background:var(--p);border:1px solid var(--l);border-radius:8px;padding:8px;min-height:36px;width:100%}
.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.muted{color:var(--m);font-size:12px}
.err{color:#fff;background:var(--bad);border-radius:8px;padding:8px}
.grid{flex:1;display:grid;gap:6px;padding:6px;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));grid-auto-rows:minmax(100px,1fr);overflow:auto;min-height:0}
.stage{flex:2;background:#000;min-height:0;display:flex}
.stage video{width:100%;height:100%;object-fit:contain}
.tile{position:relative;background:var(--p);border-radius:10px;overflow:hidden;border:2px solid transparent;min-height:90px}
.tile [data-kibitz-tile]{position:absolute;inset:0;display:grid;place-items:center}
.tile video{width:100%;height:100%;object-fit:cover}
.tile [data-part=avatar]{width:56px;height:56px;border-radius:50%;background:var(--l);display:grid;place-items:center;font-size:22px;font-weight:600}
.tile.spk{border-color:var(--ok)}
.tag{position:absolute;left:6px;bottom:6px;right:6px;display:flex;gap:4px;align-items:center;font-size:12px}
.tag span{background:#000a;border-radius:6px;padding:1px 6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tag .x{margin-left:auto;min-height:22px;padding:0 6px;font-size:11px}
.ctl{display:flex;gap:6px;justify-content:center;padding:8px;border-top:1px solid var(--l);flex-wrap:wrap}
.ctl button{min-width:44px;white-space:nowrap}
.ctl .on{background:var(--a);color:#fff}
.ctl .off{background:var(--l);color:var(--m)}
.msg{background:var(--l);border-radius:10px;padding:6px 10px;max-width:100%;overflow-wrap:anywhere}
.msg.me{background:#34347a;align-self:flex-end}
.msg b{font-size:12px;display:block;color:var(--m)}
.compose{display:flex;gap:6px;padding:8px;border-top:1px solid var(--l);flex-wrap:wrap}
.compose input{flex:1;min-width:120px}
.compose select{width:auto;flex:0 0 auto}
.prev{aspect-ratio:4/3;background:#000;border-radius:10px;overflow:hidden;display:grid;place-items:center;color:var(--m)}
.prev video{width:100%;height:100%;object-fit:cover;transform:scaleX(-1)}
.list{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}
.list li{display:flex;gap:8px;align-items:center;background:var(--bg);border-radius:8px;padding:6px 8px}
.list li>span{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
h3{margin:4px 0 0;font-size:13px;color:var(--m);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.caps{display:grid;grid-template-columns:1fr 1fr;gap:2px 8px;padding:4px 0}
.caps label{flex-direction:row;align-items:center;color:var(--t)}
.audit{font-size:12px;color:var(--m);max-height:120px;overflow:auto}
@media (max-width:520px){:host{right:0!important;bottom:0!important}.panel,.panel.wide,.panel:has(.side){width:100vw;height:100vh;max-width:none;max-height:none;border-radius:0}.launch{margin:0 12px 12px 0}.side{position:absolute;inset:0;width:auto}}
`
