/**
 * The dashboard page. Static HTML (nothing from the server is interpolated; the script fills it in
 * with textContent), so the strict CSP holds: scripts and styles from this origin (uPlot sets inline
 * styles on its canvas wrappers, hence 'unsafe-inline' for styles only), audio from blob: URLs.
 */
export const DASHBOARD_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Harmonizer RL · dashboard</title>
  <link rel="stylesheet" href="/rl/dashboard/app.css">
  <style>
    :root { color-scheme: dark; --bg: #15171c; --panel: #1f232b; --fg: #e8e8ea; --dim: #9aa0ab; --green: #3fb950; --amber: #d29922; --red: #f85149; --grey: #6e7681; }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.4 system-ui, sans-serif; }
    header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 12px 16px; border-bottom: 1px solid #2d333b; }
    header h1 { font-size: 18px; margin: 0; flex: 1 1 auto; }
    .ranges button { background: var(--panel); color: var(--fg); border: 1px solid #2d333b; padding: 4px 10px; border-radius: 6px; cursor: pointer; }
    .ranges button[aria-pressed="true"] { background: #2f81f7; border-color: #2f81f7; }
    #updated { color: var(--dim); font-size: 12px; }
    main { padding: 12px 16px; display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); }
    section { background: var(--panel); border-radius: 8px; padding: 12px; min-width: 0; }
    section h2 { font-size: 15px; margin: 0 0 8px; }
    #banner { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 8px; background: none; padding: 0; }
    .health { flex: 1 1 200px; background: var(--panel); border-radius: 8px; padding: 8px 10px; border-left: 6px solid var(--grey); }
    .health[data-level="green"] { border-color: var(--green); } .health[data-level="amber"] { border-color: var(--amber); } .health[data-level="red"] { border-color: var(--red); }
    .health b { display: block; font-size: 12px; color: var(--dim); font-weight: normal; }
    table { border-collapse: collapse; width: 100%; font-size: 12px; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #2d333b; white-space: nowrap; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    .scroll { overflow-x: auto; }
    .empty { color: var(--dim); font-style: italic; }
    .chart { width: 100%; min-height: 40px; }
    .bars div { display: flex; gap: 6px; align-items: center; font-size: 12px; }
    .bars span.bar { background: #2f81f7; height: 10px; display: inline-block; }
    .kv { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; margin-bottom: 6px; }
    .kv span b { color: var(--dim); font-weight: normal; }
    #login { grid-column: 1 / -1; max-width: 420px; }
    #login input { width: 100%; padding: 6px; margin: 6px 0; background: var(--bg); color: var(--fg); border: 1px solid #2d333b; border-radius: 4px; }
    #login-error { color: var(--red); }
    [hidden] { display: none !important; }
    button.play { background: none; border: 1px solid #2d333b; color: var(--fg); border-radius: 4px; cursor: pointer; }
  </style>
</head>
<body>
  <header>
    <h1>Harmonizer RL</h1>
    <div class="ranges" role="group" aria-label="time range">
      <button type="button" data-range="1h">1 h</button>
      <button type="button" data-range="24h">24 h</button>
      <button type="button" data-range="7d">7 d</button>
      <button type="button" data-range="all">all</button>
    </div>
    <span id="updated"></span>
  </header>
  <main>
    <form id="login" hidden>
      <h2>Dashboard token</h2>
      <p class="empty">The token printed at start-up (RL_DASHBOARD_TOKEN, by default the labeler's).</p>
      <input id="login-token" type="password" autocomplete="off" aria-label="token">
      <button type="submit">Open</button>
      <p id="login-error"></p>
    </form>
    <div id="banner" aria-live="polite"></div>
    <section id="panel-rewards"><h2>Reward per arm (jumps; 95 % intervals)</h2><div class="chart" id="chart-rewards"></div><p class="empty" id="empty-rewards" hidden>No rewards yet: play with RL logging on, and label clips in the labeler.</p></section>
    <section id="panel-decisions"><h2>Decisions per minute per arm</h2><div class="chart" id="chart-decisions"></div><p class="empty" id="empty-decisions" hidden>No decisions in this range: open the player.</p></section>
    <section id="panel-ope"><h2>Off-policy evaluation</h2><div class="scroll"><table id="ope-table"></table></div><p class="empty" id="empty-ope" hidden>No logged decisions with a reward yet.</p><div class="kv" id="ope-meta"></div><div class="bars" id="hist-propensities"></div><div class="bars" id="hist-weights"></div></section>
    <section id="panel-versions"><h2>Policy and model versions</h2><div class="chart" id="chart-versions"></div><div class="scroll"><table id="versions-table"></table></div><p class="empty" id="empty-versions" hidden>No bandit versions yet: the learner publishes after RL_BANDIT_PUBLISH_EVERY rewards.</p><div class="scroll"><table id="models-table"></table></div></section>
    <section id="panel-labeling"><h2>Labeling</h2><div class="kv" id="label-kv"></div><div class="chart" id="chart-labels"></div><p class="empty" id="empty-labels" hidden>No labels yet: open the labeler (/rl/labeler).</p></section>
    <section id="panel-pipeline"><h2>Pipeline (snippet queue: renders, failures and clips waiting per bucket)</h2><div class="kv" id="pipeline-kv"></div><div class="chart" id="chart-renders"></div><div class="scroll"><table id="failures-table"></table></div></section>
    <section id="panel-worst"><h2>Worst jumps (last 24 h)</h2><div class="scroll"><table id="worst-table"></table></div><p class="empty" id="empty-worst" hidden>No rendered jump with a reward in the last day.</p></section>
  </main>
  <script type="module" src="/rl/dashboard/app.js"></script>
</body>
</html>
`;
