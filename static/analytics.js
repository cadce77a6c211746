/* linkhub analytics pages. Draws the Chart.js charts that the page describes in
   <script type="application/json" id="analytics-data"> (no inline script, so a strict CSP
   holds), keeps the range picker tidy, and runs the live feed: an EventSource on
   /api/analytics/live/stream, falling back to polling /api/analytics/live. */
(function () {
  'use strict';

  var PALETTE = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6',
                 '#ec4899', '#14b8a6', '#64748b', '#84cc16'];

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function withAlpha(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }

  /* --- charts ------------------------------------------------------------------------- */

  function lineConfig(spec) {
    var hasRight = false;
    var datasets = spec.datasets.map(function (d, i) {
      var color = PALETTE[i % PALETTE.length];
      var right = d.axis === 'y1';
      hasRight = hasRight || right;
      return {
        type: d.kind === 'bar' ? 'bar' : 'line', label: d.label, data: d.data,
        yAxisID: right ? 'y1' : 'y', borderColor: color,
        backgroundColor: withAlpha(color, d.kind === 'bar' ? 0.55 : 0.15),
        borderWidth: 2, pointRadius: spec.labels.length > 60 ? 0 : 2, tension: 0.25,
        order: d.kind === 'bar' ? 2 : 1
      };
    });
    var scales = {
      x: {ticks: {maxRotation: 0, autoSkip: true, maxTicksLimit: 12}},
      y: {beginAtZero: true, ticks: {precision: 0}}
    };
    if (hasRight) {
      scales.y1 = {beginAtZero: true, position: 'right', grid: {drawOnChartArea: false}};
    }
    return {type: 'line', data: {labels: spec.labels, datasets: datasets},
            options: {scales: scales, interaction: {mode: 'index', intersect: false}}};
  }

  function shareConfig(spec) {
    var colors = spec.labels.map(function (_, i) { return PALETTE[i % PALETTE.length]; });
    if (spec.type === 'doughnut') {
      return {type: 'doughnut',
              data: {labels: spec.labels, datasets: [{label: spec.datasets[0].label,
                     data: spec.datasets[0].data, backgroundColor: colors, borderWidth: 1}]},
              options: {plugins: {legend: {position: 'right'}}}};
    }
    return {type: 'bar',
            data: {labels: spec.labels, datasets: spec.datasets.map(function (d) {
              return {label: d.label, data: d.data, backgroundColor: colors, borderRadius: 4};
            })},
            options: {indexAxis: spec.horizontal ? 'y' : 'x',
                      plugins: {legend: {display: false}},
                      scales: {x: {beginAtZero: true, ticks: {precision: 0}},
                               y: {beginAtZero: true, ticks: {precision: 0}}}}};
  }

  function drawCharts() {
    var data = readJson('analytics-data');
    if (!data || !window.Chart) { return; }
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
      var spec = data.charts[canvas.dataset.chart];
      if (!spec) { return; }
      var config = spec.type === 'line' ? lineConfig(spec) : shareConfig(spec);
      config.options.responsive = true;
      config.options.maintainAspectRatio = false;
      config.options.animation = false;  // drawn at once: nothing moves under the reader
      new window.Chart(canvas, config);
    });
    document.body.dataset.chartsReady = 'true';
  }

  /* --- the range picker --------------------------------------------------------------- */

  function picker() {
    var form = document.getElementById('range-form');
    if (!form) { return; }
    var preset = form.querySelector('#f-range');
    var dates = form.querySelectorAll('.custom-date');
    function toggle() {
      dates.forEach(function (field) { field.hidden = preset.value !== 'custom'; });
    }
    form.querySelectorAll('input[type=date]').forEach(function (input) {
      input.addEventListener('change', function () { preset.value = 'custom'; toggle(); });
    });
    preset.addEventListener('change', toggle);
    toggle();
  }

  /* --- the live feed ------------------------------------------------------------------ */

  function cell(row, text, className) {
    var td = document.createElement('td');
    if (className) { td.className = className; }
    if (text instanceof Node) { td.appendChild(text); } else { td.textContent = text; }
    row.appendChild(td);
    return td;
  }

  function eventRow(ev, config) {
    var row = document.createElement('tr');
    row.dataset.event = ev.id;
    row.dataset.type = ev.type;
    row.className = 'live-new';
    cell(row, (ev.timestamp || '').slice(11, 19), 'small');
    var badge = document.createElement('span');
    badge.className = 'badge live-' + ev.type;
    badge.textContent = ev.type.replace('_', ' ');
    cell(row, badge);
    if (ev.linkId) {
      var anchor = document.createElement('a');
      anchor.href = config.linkPage.replace('LINK_ID', encodeURIComponent(ev.linkId));
      anchor.textContent = ev.linkTitle || '/' + ev.shortCode;
      cell(row, anchor);
    } else {
      cell(row, '—');
    }
    cell(row, ev.campaignName || '—');
    cell(row, (ev.country || '—') + (ev.city ? ' · ' + ev.city : ''));
    var conversion = ev.type === 'conversion';
    cell(row, conversion ? ev.event : (ev.device || '—') + ' · ' + (ev.browser || '—'), 'small');
    cell(row, conversion ? (ev.value === null ? '—' : ev.value) + ' ' + (ev.currency || '')
                         : ev.referrer || 'direct', 'small');
    return row;
  }

  function liveFeed() {
    var config = readJson('live-config');
    if (!config) { return; }
    var body = document.querySelector('#live-events tbody');
    var empty = body.querySelector('.live-empty');
    var status = document.getElementById('live-status');
    var seen = {};
    var statsTimer = null;
    var polling = false;
    body.querySelectorAll('tr[data-event]').forEach(function (tr) { seen[tr.dataset.event] = true; });

    function setState(state, text) {
      document.body.dataset.liveState = state;
      status.textContent = text;
      status.className = 'live-status live-' + state;
    }

    function refreshStats() {
      statsTimer = null;
      fetch(config.stats, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          if (!answer) { return; }
          document.querySelectorAll('[data-stat]').forEach(function (node) {
            var path = node.dataset.stat.split('.');
            var value = answer.data[path[0]] && answer.data[path[0]][path[1]];
            if (value !== undefined) { node.textContent = value; }
          });
        })
        .catch(function () { /* the counters wait for the next event */ });
    }

    function add(ev) {
      if (!ev || !ev.id || seen[ev.id]) { return; }
      seen[ev.id] = true;
      if (empty) { empty.hidden = true; }
      body.insertBefore(eventRow(ev, config), body.firstChild);
      var rows = body.querySelectorAll('tr[data-event]');
      for (var i = config.maxRows; i < rows.length; i++) { rows[i].remove(); }
      if (!statsTimer) { statsTimer = setTimeout(refreshStats, 1000); }
    }

    function poll() {
      fetch(config.poll, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (answer) {
          answer.data.slice().reverse().forEach(add);  // oldest first, so the newest ends on top
          setState('poll', 'Live (refreshing every ' + config.pollSeconds + ' s)');
        })
        .catch(function () { setState('error', 'Disconnected: retrying…'); })
        .then(function () { setTimeout(poll, config.pollSeconds * 1000); });
    }

    function startPolling() {
      if (polling) { return; }
      polling = true;
      poll();
    }

    if (!window.EventSource) { startPolling(); return; }
    var source = new window.EventSource(config.stream);
    source.addEventListener('ready', function () { setState('stream', 'Live'); });
    source.onmessage = function (message) { add(JSON.parse(message.data)); };
    source.onerror = function () {
      if (source.readyState === window.EventSource.CLOSED) {  // refused (busy): poll instead
        source.close();
        startPolling();
      } else {
        setState('reconnecting', 'Reconnecting…');  // EventSource resumes by itself
      }
    };
    setInterval(refreshStats, 30000);  // windows move on even when nothing happens
  }

  function start() {
    drawCharts();
    picker();
    liveFeed();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
