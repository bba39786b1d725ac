// Run page (live): SSE job events -> score chart, worker cards, leaderboard and summary refresh.
(function () {
  "use strict";
  var root = document.getElementById("run-root");
  if (!root) { return; }
  var text = function (name) { return root.getAttribute("data-text-" + name) || name; };
  var experimentId = root.getAttribute("data-experiment");
  var jobId = root.getAttribute("data-job");
  var greater = root.getAttribute("data-greater") !== "false";
  var labels = JSON.parse(root.getAttribute("data-families") || "{}");
  var label = function (family) { return labels[family] || family; };
  var chart = document.getElementById("score-chart");
  var points = { x: [], y: [], text: [] };
  var bestLine = { x: [], y: [] };
  var plotted = {};   // trial number -> true
  var best = null;
  var source = null;
  var running = {};   // slot -> {number, family, started, timeout}
  var hosts = {};     // host -> finished trials (live, from trial_end events)
  var openDetails = {};
  var TERMINAL = ["experiment_finished", "experiment_stopped", "experiment_failed",
    "succeeded", "failed", "cancelled"];

  // -- score chart -------------------------------------------------------------------------
  function addPoint(number, score, family) {
    if (score === null || score === undefined || plotted[number]) { return false; }
    plotted[number] = true;
    var x = points.x.length + 1;
    points.x.push(x);
    points.y.push(score);
    points.text.push(text("trial") + " " + number + " · " + label(family));
    if (best === null || (greater ? score > best : score < best)) { best = score; }
    bestLine.x.push(x);
    bestLine.y.push(best);
    return true;
  }

  function drawChart() {
    if (!window.Plotly) { return; }
    if (!points.x.length) {
      chart.textContent = text("no-scores");
      chart.removeAttribute("data-drawn");
      return;
    }
    if (!chart.getAttribute("data-drawn")) { chart.textContent = ""; }
    chart.setAttribute("data-drawn", "1");
    chart.setAttribute("data-points", String(points.x.length));
    window.Plotly.react(chart, [
      { type: "scatter", mode: "markers", name: text("score"), x: points.x.slice(), y: points.y.slice(),
        text: points.text.slice(), hovertemplate: "%{text}<br>%{y:.4g}<extra></extra>",
        marker: { color: "#9db4ec", size: 7 } },
      { type: "scatter", mode: "lines", name: text("best"), x: bestLine.x.slice(), y: bestLine.y.slice(),
        line: { color: "#2f5bd3", width: 2, shape: "hv" }, hovertemplate: "%{y:.4g}<extra></extra>" }
    ], {
      height: 280, margin: { l: 60, r: 10, t: 10, b: 55 }, legend: { orientation: "h", y: 1.12 },
      xaxis: { title: { text: text("trials-done") }, rangemode: "tozero", tick0: 0,
        dtick: Math.max(1, Math.ceil(points.x.length / 10)) },
      yaxis: { title: { text: root.getAttribute("data-metric-label") || root.getAttribute("data-metric") } }
    }, { displayModeBar: false, responsive: true });
  }

  // -- worker cards -------------------------------------------------------------------------
  function card(slot) {
    return root.querySelector("[data-testid='worker-card'][data-slot='" + slot + "']");
  }

  function ensureCards(n) {
    var box = root.querySelector("[data-testid='workers']");
    var first = box.querySelector("[data-testid='worker-card']");
    for (var i = box.querySelectorAll("[data-testid='worker-card']").length; i < n && first; i++) {
      var copy = first.cloneNode(true);
      copy.setAttribute("data-slot", String(i));
      copy.querySelector("strong").textContent = first.querySelector("strong").textContent.replace(/\d+/, String(i + 1));
      box.appendChild(copy);
      setIdle(i);
    }
  }

  function setIdle(slot) {
    var el = card(slot);
    if (!el) { return; }
    delete running[slot];
    el.classList.add("idle");
    el.classList.remove("busy");
    el.querySelector("[data-role='family']").textContent = text("idle");
    el.querySelector("[data-role='trial']").textContent = "";
    el.querySelector("[data-role='time']").textContent = "";
    el.querySelector("[data-role='bar']").style.width = "0";
    el.querySelector("[data-role='host']").removeAttribute("title");
  }

  function fill(pattern, values) {
    return Object.keys(values).reduce(function (out, key) {
      return out.replace("{" + key + "}", String(values[key]));
    }, pattern);
  }

  // where a slot's trial runs: the host at its start (local processes), else on the cluster;
  // an idle slot names where its last trial ran (Ray: the node, known at the trial's end)
  function showHost(el, pattern, values, nodeId) {
    var box = el.querySelector("[data-role='host']");
    box.textContent = fill(pattern, values);
    if (nodeId && nodeId !== "local") { box.setAttribute("title", nodeId); }
  }

  function countHost(host) {
    if (!host) { return; }
    hosts[host] = (hosts[host] || 0) + 1;
    var panel = root.querySelector("[data-testid='worker-hosts']");
    var list = panel.querySelector("[data-role='hosts']");
    list.textContent = "";
    Object.keys(hosts).sort().forEach(function (name) {
      var li = document.createElement("li");
      li.setAttribute("data-testid", "worker-host-count");
      li.textContent = fill(text("hosts-count"), { host: name, n: hosts[name] });
      list.appendChild(li);
    });
    panel.hidden = false;
  }

  function setBusy(data) {
    var slot = data.slot === undefined || data.slot === null ? 0 : data.slot;
    ensureCards(slot + 1);
    var el = card(slot);
    if (!el) { return; }
    running[slot] = {
      number: data.number, family: data.family,
      started: data.started_ts ? data.started_ts * 1000 : Date.now(),
      timeout: data.timeout
    };
    el.classList.remove("idle");
    el.classList.add("busy");
    el.setAttribute("data-trial", String(data.number));
    el.querySelector("[data-role='family']").textContent = label(data.family);
    el.querySelector("[data-role='trial']").textContent = text("trial") + " " + data.number;
    if (data.host) { showHost(el, text("host-on"), { host: data.host }); }
    else { showHost(el, text("host-cluster"), {}); }
    tick();
  }

  function fmt(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    var pad = (s < 10 ? "0" : "") + s;
    var pattern = m ? (text("duration-minutes") || "{m}m {s}s") : (text("duration-seconds") || "{s}s");
    return pattern.replace("{m}", String(m)).replace("{s}", m ? pad : String(s));
  }

  function tick() {
    Object.keys(running).forEach(function (slot) {
      var r = running[slot], el = card(slot);
      if (!el) { return; }
      var elapsed = (Date.now() - r.started) / 1000;
      var limit = r.timeout ? fmt(r.timeout) : text("no-limit");
      el.querySelector("[data-role='time']").textContent = fmt(elapsed) + " / " + limit;
      var share = r.timeout ? Math.min(1, elapsed / r.timeout) : 0;
      var bar = el.querySelector("[data-role='bar']");
      bar.style.width = (share * 100).toFixed(1) + "%";
      bar.classList.toggle("late", share > 0.8);
    });
  }

  // -- partial refreshes ---------------------------------------------------------------------
  function throttled(fn, wait) {
    var timer = null, pending = false;
    return function () {
      if (timer) { pending = true; return; }
      fn();
      timer = setTimeout(function () {
        timer = null;
        if (pending) { pending = false; fn(); }
      }, wait);
    };
  }

  function refresh(id, url) {
    if (!window.htmx || !url) { return; }
    window.htmx.ajax("GET", url, { target: "#" + id, swap: "innerHTML" });
  }

  var refreshBoard = throttled(function () {
    refresh("leaderboard", document.getElementById("leaderboard").getAttribute("data-url"));
  }, 700);

  function refreshSummary() {
    var summary = root.querySelector("[data-testid='run-summary']");
    refresh("run-summary", summary ? summary.getAttribute("data-url") : null);
  }

  function setStatus(status) {
    root.setAttribute("data-status", status);
    var badge = document.querySelector("[data-testid='experiment-status']");
    if (badge) {
      badge.className = "status status-" + status;
      badge.textContent = text("status-" + status);
    }
  }

  function log(level, message) {
    var list = root.querySelector("[data-testid='run-log']");
    var li = document.createElement("li");
    li.className = "log-" + level;
    li.textContent = "[" + level + "] " + message;
    list.appendChild(li);
  }

  // -- events --------------------------------------------------------------------------------
  function handle(kind, data) {
    if (data.experiment_id && data.experiment_id !== experimentId) { return; }
    if (kind === "run_start") {
      ensureCards(data.n_jobs || 1);
      var note = root.querySelector("[data-testid='threads-note']");
      if (note && data.executor) {
        var cpus = data.cpu_per_trial || data.threads_per_trial || 1;
        note.textContent = fill(text(data.executor === "ray" ? "threads-ray" : "threads-local"),
          { cpus: cpus, address: data.ray_address || "" });
      }
    } else if (kind === "trial_start") {
      setBusy(data);
    } else if (kind === "trial_end") {
      if (data.slot !== undefined && data.slot !== null && running[data.slot] &&
          running[data.slot].number === data.number) {
        setIdle(data.slot);
        if (data.host && card(data.slot)) {
          showHost(card(data.slot), text("host-last"), { n: data.number, host: data.host },
            data.node_id);
        }
      }
      countHost(data.host);
      if (addPoint(data.number, data.score, data.family)) { drawChart(); }
      refreshBoard();
    } else if (kind === "log") {
      log(data.level, data.message);
    } else if (kind === "splits") {
      refreshSummary();
    } else if (TERMINAL.indexOf(kind) >= 0) {
      Object.keys(running).forEach(setIdle);
      if (kind.indexOf("experiment_") === 0) { setStatus(kind.slice("experiment_".length)); }
      refreshBoard();
      refreshSummary();
      if (source) { source.close(); source = null; }
    }
  }

  function listen() {
    if (!jobId || root.getAttribute("data-status") !== "running" || !window.EventSource) { return; }
    source = new EventSource("/api/v1/events/stream?job_id=" + encodeURIComponent(jobId));
    ["run_start", "trial_start", "trial_end", "best", "log", "splits"].concat(TERMINAL).forEach(function (kind) {
      source.addEventListener(kind, function (ev) {
        var payload = JSON.parse(ev.data);
        handle(kind, payload.data || {});
      });
    });
    source.onerror = function () {
      // the stream ends with the job: stop reconnecting once it is over
      if (root.getAttribute("data-status") !== "running" && source) { source.close(); source = null; }
    };
  }

  function loadHistory() {
    var run = root.getAttribute("data-run");
    var url = "/api/v1/experiments/" + experimentId + "/leaderboard?limit=5000" + (run ? "&run=" + run : "");
    return window.tunelab.api("GET", url).then(function (board) {
      greater = board.greater_is_better;
      board.items.slice().sort(function (a, b) { return a.number - b.number; }).forEach(function (trial) {
        addPoint(trial.number, trial.score, trial.family);
      });
      drawChart();
    });
  }

  // -- buttons and expandable rows -----------------------------------------------------------
  root.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-action]");
    if (!button) { return; }
    var action = button.getAttribute("data-action");
    if (action === "details") {
      var number = button.getAttribute("data-trial");
      var row = root.querySelector("[data-details='" + number + "']");
      if (!row) { return; }
      row.hidden = !row.hidden;
      button.setAttribute("aria-expanded", row.hidden ? "false" : "true");
      if (row.hidden) { delete openDetails[number]; } else { openDetails[number] = true; }
    } else if (action === "trial-model") {
      // materialise this trial's model (a job), then open its model page
      button.disabled = true;
      button.textContent = text("trial-model-wait");
      var path = "/api/v1/experiments/" + experimentId + "/runs/" + button.getAttribute("data-run") +
        "/trials/" + button.getAttribute("data-trial") + "/model";
      var failed = function (err) {
        button.disabled = false;
        window.tunelab.showMessage(err.message, "error");
      };
      var open = function (answer) { window.location.assign("/models/" + answer.model_id); };
      var poll = function (answer) {
        window.tunelab.api("GET", "/api/v1/jobs/" + answer.job_id).then(function (job) {
          if (job.status === "succeeded") { open(answer); }
          else if (job.status === "failed" || job.status === "cancelled") { failed(new Error(job.error || job.status)); }
          else { setTimeout(function () { poll(answer); }, 1000); }
        }).catch(failed);
      };
      window.tunelab.api("POST", path).then(function (answer) {
        if (answer.job_id) { poll(answer); } else { open(answer); }
      }).catch(failed);
    } else if (action === "stop" || action === "start") {
      button.disabled = true;
      window.tunelab.api("POST", "/api/v1/experiments/" + experimentId + "/" + action).then(function () {
        if (action === "start") { window.location.assign(window.location.pathname); return; }
        window.tunelab.showMessage(text("stopping"), "info");
      }).catch(function (err) {
        button.disabled = false;
        window.tunelab.showMessage(err.message, "error");
      });
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (ev) {
    if (!ev.detail.target || ev.detail.target.id !== "leaderboard") { return; }
    Object.keys(openDetails).forEach(function (number) {
      var row = root.querySelector("[data-details='" + number + "']");
      var button = root.querySelector("[data-action='details'][data-trial='" + number + "']");
      if (row) { row.hidden = false; }
      if (button) { button.setAttribute("aria-expanded", "true"); }
    });
  });

  function init() {
    setInterval(tick, 250);
    loadHistory().catch(function (err) { window.tunelab.showMessage(err.message, "error"); })
      .then(listen);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
