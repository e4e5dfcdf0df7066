/* live.js: nlogd's live page. Connects to /api/v2/logs/stream, shows each
 * entry (newest first, at most MAX_ROWS), sends update_filter / pause /
 * resume, counts entries and drops, charts entries per second by level, and
 * reconnects with resume_from after a lost connection. Text is always set
 * with textContent: nothing a record holds is ever parsed as HTML. */
(function () {
  "use strict";
  var LEVELS = ["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "SECURITY", "AUDIT"];
  var COLORS = ["#6b7280", "#8fa1b3", "#7fd1ff", "#ffd166", "#ff6b6b", "#b00020", "#d291ff", "#66e3c4"];
  var MAX_ROWS = 1000, CHART_SECONDS = 60, PING_MS = 20000;
  var $ = function (id) { return document.getElementById(id); };
  var state = {
    ws: null, lastSeq: null, entries: 0, drops: 0, paused: false, backoff: 500,
    key: sessionStorage.getItem("nlogd.api_key") || "", needKey: false,
    buckets: {}, lastRx: Date.now(), closedByUs: false, connected: false
  };
  window.nlogdLive = state; /* read by the browser test */

  function currentFilter() {
    return {
      level: $("f-level").value || null,
      category: $("f-category").value.trim() || null,
      logger: $("f-logger").value.trim() || null,
      search_query: $("f-search").value.trim() || null
    };
  }

  function setStatus(text, cls) {
    var s = $("status");
    s.textContent = text;
    s.className = "status " + cls;
  }

  function notice(text) {
    var n = $("notice");
    n.textContent = text;
    n.hidden = !text;
  }

  function streamUrl() {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var q = [], f = currentFilter();
    Object.keys(f).forEach(function (k) { if (f[k]) q.push(k + "=" + encodeURIComponent(f[k])); });
    if (state.lastSeq) q.push("resume_from=" + encodeURIComponent(state.lastSeq));
    return proto + "//" + location.host + "/api/v2/logs/stream" + (q.length ? "?" + q.join("&") : "");
  }

  function send(obj) {
    if (state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify(obj));
  }

  function connect() {
    state.closedByUs = false;
    var ws = new WebSocket(streamUrl());
    state.ws = ws;
    ws.onopen = function () {
      state.backoff = 500;
      state.lastRx = Date.now();
      if (state.key) send({ type: "auth", api_key: state.key });
    };
    ws.onmessage = function (ev) {
      state.lastRx = Date.now();
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.timestamp !== undefined && m.seq !== undefined) return onEntry(m);
      onControl(m);
    };
    ws.onclose = function (ev) {
      state.connected = false;
      if (ev.code === 4401 || ev.code === 4403) {
        state.needKey = true;
        $("keybar").hidden = false;
        $("keyerr").textContent = ev.code === 4401 ? "an API key is needed (or it was not valid)"
                                                   : "this key's role cannot read the stream";
        setStatus("not connected", "off");
        return;
      }
      if (state.closedByUs) return;
      setStatus("reconnecting…", "off");
      setTimeout(connect, state.backoff);
      state.backoff = Math.min(state.backoff * 2, 10000);
    };
  }

  function onControl(m) {
    switch (m.type) {
    case "hello":
      state.connected = true;
      $("keybar").hidden = true;
      setStatus((state.paused ? "paused" : "live") + " · " + m.caller + " (" + m.role + ")",
                state.paused ? "paused" : "on");
      notice(m.note || "");
      if (state.paused) send({ type: "pause" });
      break;
    case "dropped":
      state.drops += m.count;
      $("c-drops").textContent = state.drops;
      addRow(null, m.count + " entries dropped here (this page fell behind the stream)");
      break;
    case "replay":
      if (!m.complete) notice(m.message || "some entries were not replayed");
      break;
    case "filter":
      /* the filter in force on the server, from the next entry on */
      $("filters").dataset.applied = JSON.stringify(m.filter || {});
      break;
    case "paused": setStatus("paused", "paused"); break;
    case "resumed": setStatus("live", "on"); break;
    case "error": notice(m.message); break;
    default: break;
    }
  }

  function fmtTime(ts) {
    var d = new Date(ts);
    if (isNaN(d)) return ts;
    var p = function (n, w) { return String(n).padStart(w || 2, "0"); };
    return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) + "." + p(d.getMilliseconds(), 3);
  }

  function addRow(e, dropText) {
    var tail = $("tail"), row = document.createElement("div");
    if (e) {
      row.className = "row";
      row.dataset.level = e.level;
      var cells = [["t", fmtTime(e.timestamp)], ["lv lv-" + e.level, e.level], ["cat", e.category],
                   ["lg", e.module], ["msg", e.message]];
      cells.forEach(function (c) {
        var s = document.createElement("span");
        s.className = c[0];
        s.textContent = c[1];
        row.appendChild(s);
      });
      row.title = "seq " + e.seq;
    } else {
      row.className = "row drop";
      row.textContent = dropText;
    }
    tail.insertBefore(row, tail.firstChild);
    while (tail.childNodes.length > MAX_ROWS) tail.removeChild(tail.lastChild);
  }

  function onEntry(e) {
    state.lastSeq = e.seq;
    state.entries++;
    $("c-entries").textContent = state.entries;
    var sec = Math.floor(Date.now() / 1000), li = LEVELS.indexOf(e.level);
    var b = state.buckets[sec] || (state.buckets[sec] = [0, 0, 0, 0, 0, 0, 0, 0]);
    if (li >= 0) b[li]++;
    addRow(e);
  }

  function drawChart() {
    var c = $("chart"), g = c.getContext("2d"), now = Math.floor(Date.now() / 1000);
    var w = c.width, h = c.height, bw = w / CHART_SECONDS, max = 1;
    Object.keys(state.buckets).forEach(function (s) { if (s < now - CHART_SECONDS) delete state.buckets[s]; });
    for (var s = now - CHART_SECONDS + 1; s <= now; s++) {
      var b = state.buckets[s];
      if (b) max = Math.max(max, b.reduce(function (a, x) { return a + x; }, 0));
    }
    g.clearRect(0, 0, w, h);
    for (var i = 0; i < CHART_SECONDS; i++) {
      var bk = state.buckets[now - CHART_SECONDS + 1 + i], y = h;
      if (!bk) continue;
      for (var l = 0; l < 8; l++) {
        if (!bk[l]) continue;
        var bh = bk[l] / max * (h - 14);
        g.fillStyle = COLORS[l];
        g.fillRect(i * bw + 1, y - bh, bw - 2, bh);
        y -= bh;
      }
    }
    g.fillStyle = "#7b8494";
    g.font = "10px sans-serif";
    g.fillText(max + "/s", 4, 10);
    var last = state.buckets[now - 1];
    $("c-rate").textContent = last ? last.reduce(function (a, x) { return a + x; }, 0) : 0;
  }

  function legend() {
    var l = $("legend");
    LEVELS.forEach(function (name, i) {
      var s = document.createElement("span");
      s.style.setProperty("--c", COLORS[i]);
      s.textContent = name;
      l.appendChild(s);
    });
  }

  $("filters").addEventListener("submit", function (ev) {
    ev.preventDefault();
    send({ type: "update_filter", filter: currentFilter() });
  });
  $("f-level").addEventListener("change", function () {
    send({ type: "update_filter", filter: currentFilter() });
  });
  $("pause").addEventListener("click", function () {
    state.paused = !state.paused;
    $("pause").setAttribute("aria-pressed", String(state.paused));
    $("pause").textContent = state.paused ? "Resume" : "Pause";
    send({ type: state.paused ? "pause" : "resume" });
  });
  $("clear").addEventListener("click", function () { $("tail").textContent = ""; });
  $("connect").addEventListener("click", function () {
    state.key = $("apikey").value.trim();
    sessionStorage.setItem("nlogd.api_key", state.key);
    $("keyerr").textContent = "";
    connect();
  });

  setInterval(drawChart, 500);
  setInterval(function () {
    if (!state.ws || state.ws.readyState !== 1) return;
    send({ type: "ping" });
    if (Date.now() - state.lastRx > 3 * PING_MS) { state.ws.close(); }
  }, PING_MS);
  legend();
  connect();
})();
