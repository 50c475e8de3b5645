/**
 * The player page (GET /). Static HTML: nothing from the server or the listener is interpolated into it;
 * track titles and every other dynamic value are written by player.js with textContent, so a strict CSP
 * holds. connect-src also allows other http(s) origins because HARMONIZER_CONFIG.apiBaseUrl may point the
 * page at an API elsewhere.
 */
export const PLAYER_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; connect-src 'self' http: https:; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

export const PLAYER_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Harmonizer RL player</title>
  <style>
    :root { color-scheme: dark; --bg: #15171c; --panel: #1f232b; --fg: #e8e8ea; --dim: #9aa0ab; --accent: #ffb347; --bad: #f85149; --ok: #3fb950; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
    main { max-width: 980px; margin: 0 auto; padding: 12px; display: grid; gap: 12px; grid-template-columns: minmax(0, 1fr) 300px; }
    @media (max-width: 760px) { main { grid-template-columns: minmax(0, 1fr); padding: 8px; } }
    header { grid-column: 1 / -1; display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 8px; }
    h1 { font-size: 20px; margin: 0; }
    h2 { font-size: 15px; margin: 0 0 8px; color: var(--dim); font-weight: 600; }
    .panel { background: var(--panel); border-radius: 8px; padding: 12px; min-width: 0; }
    label { display: flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--dim); margin-bottom: 8px; }
    label.check { flex-direction: row; align-items: center; gap: 6px; font-size: 14px; color: var(--fg); }
    input, select, button { font: inherit; color: var(--fg); background: #2a2f39; border: 1px solid #3a404c; border-radius: 6px; padding: 6px 10px; }
    input[type=range] { padding: 0; }
    button { cursor: pointer; min-height: 40px; }
    button:hover:not(:disabled) { border-color: var(--accent); }
    button:disabled { opacity: 0.5; cursor: default; }
    kbd { font: 12px ui-monospace, monospace; background: #0e1014; border: 1px solid #444; border-radius: 4px; padding: 0 5px; }
    .row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
    .row > select { flex: 1 1 180px; min-width: 0; }
    progress { width: 100%; height: 10px; }
    #viz-wrap { position: relative; }
    canvas { width: 100%; aspect-ratio: 1 / 1; display: block; background: #0e1014; border-radius: 8px; touch-action: manipulation; }
    #now-title { font-size: 17px; margin: 0 0 6px; overflow-wrap: anywhere; }
    #transport { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; align-items: center; }
    #play { min-width: 110px; font-weight: 600; }
    dl.counters { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 2px 10px; margin: 10px 0 0; }
    @media (max-width: 420px) { dl.counters { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
    dl.counters dt { color: var(--dim); font-size: 12px; } dl.counters dd { margin: 0 0 6px; font-variant-numeric: tabular-nums; font-size: 18px; }
    #status { min-height: 1.4em; color: var(--accent); margin: 6px 0 0; overflow-wrap: anywhere; }
    #status.error { color: var(--bad); }
    .badge { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 10px; background: #2a2f39; color: var(--dim); margin-left: 6px; }
    .badge.on { background: #1f3d2a; color: var(--ok); }
    .value { color: var(--fg); font-variant-numeric: tabular-nums; }
    .hint { color: var(--dim); font-size: 12px; margin: 8px 0 0; }
    [hidden] { display: none !important; }
  </style>
</head>
<body data-state="loading" data-jumps="0" data-beats="0">
  <main>
    <header>
      <h1>Harmonizer RL <span class="badge" id="arm-badge">arm …</span></h1>
      <label class="check" title="send each jump decision to the RL logger"><input type="checkbox" id="rl-toggle"> RL logging <span class="badge" id="rl-badge">off</span></label>
    </header>

    <section class="panel" id="player">
      <h2 id="now-title">No track loaded</h2>
      <div id="viz-wrap"><canvas id="viz" width="800" height="800" aria-label="beats on a circle, coloured by section; arcs are possible jumps"></canvas></div>
      <div id="transport">
        <button type="button" id="play" disabled><kbd>space</kbd> play</button>
        <button type="button" id="force" disabled title="hold to force jumps">hold <kbd>shift</kbd> jump</button>
      </div>
      <dl class="counters">
        <dt>beats played</dt><dd id="c-beats">0</dd>
        <dt>jumps taken</dt><dd id="c-jumps">0</dd>
        <dt>time listened</dt><dd id="c-time">0:00</dd>
        <dt>jumps dropped</dt><dd id="c-dropped">0</dd>
      </dl>
      <p id="status" role="status"></p>
    </section>

    <aside>
      <section class="panel" id="tracks">
        <h2>Track</h2>
        <div class="row">
          <select id="track-select" aria-label="track"><option value="">loading tracks…</option></select>
          <button type="button" id="track-load">load</button>
        </div>
        <p class="hint" id="analysis-status">analysis: –</p>
        <label style="margin-top:10px">upload audio <input type="file" id="upload-file" accept="audio/*"></label>
        <progress id="upload-progress" max="1" value="0" hidden></progress>
        <p class="hint" id="upload-status"></p>
      </section>

      <section class="panel" id="settings" style="margin-top:12px">
        <h2>Settings</h2>
        <label>branch threshold (max distance) <span class="value" id="v-threshold">all</span>
          <input type="range" id="s-threshold" min="0" max="1" step="0.01"></label>
        <label>min branch chance <span class="value" id="v-min">0.18</span>
          <input type="range" id="s-min" min="0" max="1" step="0.01"></label>
        <label>max branch chance <span class="value" id="v-max">0.50</span>
          <input type="range" id="s-max" min="0" max="1" step="0.01"></label>
        <label>ramp per beat <span class="value" id="v-delta">0.018</span>
          <input type="range" id="s-delta" min="0" max="0.2" step="0.002"></label>
        <label>crossfade ms <span class="value" id="v-xfade">30</span>
          <input type="range" id="s-xfade" min="0" max="250" step="5"></label>
        <label class="check"><input type="checkbox" id="s-backward"> only backward jumps</label>
        <label class="check"><input type="checkbox" id="s-long"> only long jumps</label>
        <p class="hint">Click a beat on the circle to seek there. Settings apply from the next beat.</p>
      </section>
    </aside>
  </main>
  <script type="module" src="/player.js"></script>
</body>
</html>
`;
