/**
 * The labeler page. Static HTML (no server data is interpolated into it; everything dynamic arrives
 * through the API and is written with textContent by the script), so the strict CSP below holds:
 * scripts only from this origin, audio from blob: URLs the script makes after an authorized fetch.
 */
export const LABELER_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  // The page URL may carry ?token= until the script removes it: never send it on as a Referer.
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

const KEYS: [string, string, string][] = [
  ['good', 'g', 'good'],
  ['meh', 'm', 'meh'],
  ['bad', 'b', 'bad'],
  ['skip', 's', 'skip'],
  ['undo', 'u', 'undo'],
  ['play', 'space', 'play / pause'],
  ['replay', 'r', 'replay'],
  ['reference', 'a', 'A/B reference'],
  ['back', '←', '−1 s'],
  ['forward', '→', '+1 s'],
  ['slower', '[', 'slower'],
  ['faster', ']', 'faster'],
  ['notes', 'n', 'notes'],
];

const buttons = KEYS.map(
  ([action, key, text]) =>
    `<button type="button" class="act act-${action}" data-action="${action}"><kbd>${key}</kbd> ${text}</button>`,
).join('\n        ');

export const LABELER_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Harmonizer RL labeler</title>
  <style>
    :root { color-scheme: dark; --bg: #15171c; --panel: #1f232b; --fg: #e8e8ea; --dim: #9aa0ab; --accent: #ffb347;
            --good: #3fb950; --meh: #d29922; --bad: #f85149; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
    main { max-width: 1000px; margin: 0 auto; padding: 16px; }
    h1 { font-size: 20px; margin: 0 0 12px; }
    h2 { font-size: 18px; margin: 0 0 6px; }
    h3 { font-size: 15px; margin: 18px 0 6px; color: var(--dim); }
    .panel { background: var(--panel); border-radius: 8px; padding: 14px; margin-bottom: 12px; }
    label { display: inline-flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--dim); margin-right: 8px; }
    input, select, button { font: inherit; color: var(--fg); background: #2a2f39; border: 1px solid #3a404c; border-radius: 6px; padding: 5px 8px; }
    button { cursor: pointer; }
    button:hover { border-color: var(--accent); }
    kbd { font: 12px ui-monospace, monospace; background: #0e1014; border: 1px solid #444; border-radius: 4px; padding: 0 5px; margin-right: 3px; }
    #login form { display: flex; flex-direction: column; gap: 10px; max-width: 360px; }
    #login label { font-size: 14px; }
    .error { color: var(--bad); min-height: 1.2em; }
    header { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; flex-wrap: wrap; }
    .counters span { margin-left: 14px; color: var(--dim); }
    .counters b { color: var(--fg); }
    #filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 4px; }
    #filters input { width: 120px; }
    #filters input.num { width: 70px; }
    dl { display: grid; grid-template-columns: repeat(4, auto); gap: 2px 14px; margin: 6px 0 10px; justify-content: start; }
    dt { color: var(--dim); font-size: 12px; } dd { margin: 0; font-variant-numeric: tabular-nums; }
    canvas { width: 100%; height: 160px; display: block; background: #0e1014; border-radius: 6px; }
    #transport { display: flex; gap: 16px; color: var(--dim); font-variant-numeric: tabular-nums; margin-top: 6px; }
    #actions { display: flex; flex-wrap: wrap; gap: 6px; }
    .act-good { border-color: var(--good); } .act-meh { border-color: var(--meh); } .act-bad { border-color: var(--bad); }
    #notes-row { margin-top: 10px; } #notes { width: 100%; }
    #status { min-height: 1.4em; color: var(--accent); }
    #recent-list { list-style: none; padding: 0; margin: 0; }
    #recent-list li { display: grid; grid-template-columns: 1fr auto auto; gap: 8px; align-items: center; padding: 4px 0; border-bottom: 1px solid #2a2f39; }
    #recent-list .meta { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    #recent-list .note { color: var(--dim); font-size: 13px; white-space: pre-wrap; word-break: break-word; }
    #recent-list input { width: 220px; }
    .lab-good { color: var(--good); } .lab-meh { color: var(--meh); } .lab-bad { color: var(--bad); }
    .chosen { outline: 2px solid var(--accent); }
    [hidden] { display: none !important; }
  </style>
</head>
<body data-state="loading" data-actions="0">
  <main>
    <section id="login" class="panel" hidden>
      <h1>Harmonizer RL labeler</h1>
      <form id="login-form" autocomplete="off">
        <label>Labeler token <input id="login-token" type="password" required></label>
        <label>Your name <input id="login-name" maxlength="64" required></label>
        <button type="submit">Start labeling</button>
        <p id="login-error" class="error" role="alert"></p>
      </form>
    </section>

    <section id="app" hidden>
      <header class="panel">
        <h1>Harmonizer RL labeler</h1>
        <div class="counters">
          <span>labeler <b id="me-name"></b></span>
          <span>this session <b id="count-session">0</b></span>
          <span>remaining <b id="count-remaining">0</b></span>
          <button type="button" id="sign-out">sign out</button>
        </div>
      </header>

      <form id="filters" class="panel">
        <label>track <input name="track"></label>
        <label>mode <input name="mode"></label>
        <label>arm <select name="arm"><option value="">any</option><option>baseline</option><option>rl</option><option>none</option></select></label>
        <label>model version <input name="model_version"></label>
        <label>similarity ≥ <input name="sim_min" class="num" inputmode="decimal"></label>
        <label>similarity ≤ <input name="sim_max" class="num" inputmode="decimal"></label>
        <label>order <select name="order"><option value="random">random</option><option value="uncertain">most uncertain first</option></select></label>
        <button type="submit">apply</button>
      </form>

      <section id="clip" class="panel">
        <h2 id="track-title">…</h2>
        <dl>
          <dt>jump (beats)</dt><dd id="f-beats"></dd>
          <dt>times</dt><dd id="f-times"></dd>
          <dt>similarity</dt><dd id="f-similarity"></dd>
          <dt>arm</dt><dd id="f-arm"></dd>
          <dt>model version</dt><dd id="f-model"></dd>
          <dt>mode</dt><dd id="f-mode"></dd>
          <dt>labels so far</dt><dd id="f-labels"></dd>
          <dt>event</dt><dd id="f-event"></dd>
        </dl>
        <canvas id="wave" width="960" height="160" aria-label="waveform with the splice marked"></canvas>
        <div id="transport"><span id="t-pos">0.00 / 0.00 s</span><span id="t-rate">1.00×</span><span id="t-source">jump clip</span></div>
        <div id="notes-row"><label style="display:block">notes <input id="notes" maxlength="2000" placeholder="press n to type, Enter to keep, Esc to leave"></label></div>
      </section>

      <div id="actions" class="panel">
        ${buttons}
      </div>
      <p id="status" role="status"></p>

      <section class="panel">
        <h3>Last 10 decisions (click a label to change it; edit a note and press Enter)</h3>
        <ol id="recent-list"></ol>
      </section>
    </section>
  </main>
  <audio id="audio" preload="auto"></audio>
  <script type="module" src="/rl/labeler/app.js"></script>
</body>
</html>
`;
