// tunelab web UI: shared helpers (confirm dialogs, HTMX error display, small fetch helper).
(function () {
  "use strict";

  // Show an error message in the page's message area.
  function showMessage(text, level) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "alert alert-" + (level || "error");
    div.setAttribute("role", level === "error" || !level ? "alert" : "status");
    div.setAttribute("data-testid", "message-" + (level || "error"));
    div.textContent = text;
    box.appendChild(div);
  }

  // Text of an API error answer ({detail: str | [{msg}]}), or a fallback.
  function errorText(body, fallback) {
    if (body && typeof body.detail === "string") { return body.detail; }
    if (body && Array.isArray(body.detail)) {
      return body.detail.map(function (d) { return d.msg || JSON.stringify(d); }).join("; ");
    }
    if (body && typeof body.message === "string") { return body.message; }
    return fallback;
  }

  // This browser's CSRF token (the server checks it on every POST/PUT/PATCH/DELETE).
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  // fetch JSON; rejects with an Error carrying .status and a readable message.
  function api(method, url, body) {
    var opts = { method: method, headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (resp) {
      if (resp.status === 204) { return null; }
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var err = new Error(errorText(data, resp.status + " " + resp.statusText));
          err.status = resp.status;
          err.body = data;
          throw err;
        }
        return data;
      });
    });
  }

  // A UI URL with the page's language (?lang=), so the server answers in it.
  function withLang(url) {
    var lang = document.body.getAttribute("data-lang") || "en";
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "lang=" + encodeURIComponent(lang);
  }

  // Plotly.js's own words (mode bar, box hover labels) in the page's language, for every chart.
  function plotlyLocale() {
    var el = document.getElementById("plotly-locale");
    var lang = document.body.getAttribute("data-lang");
    if (!el || !lang || !window.Plotly) { return; }
    var words = {};
    try { words = JSON.parse(el.textContent || "{}"); } catch (e) { return; }
    window.Plotly.register({ moduleType: "locale", name: lang, dictionary: words });
    window.Plotly.setPlotConfig({ locale: lang });
  }
  plotlyLocale();

  // Object-store credentials typed into a form (``_s3_credentials.html``): only the filled ones,
  // or nothing; they go with that one request and are never kept.
  function s3Options(form) {
    var options = {};
    form.querySelectorAll("[data-s3-option]").forEach(function (input) {
      if (input.value.trim()) { options[input.getAttribute("data-s3-option")] = input.value.trim(); }
    });
    return Object.keys(options).length ? options : null;
  }

  window.tunelab = {
    showMessage: showMessage, errorText: errorText, api: api, withLang: withLang, csrfToken: csrfToken,
    s3Options: s3Options
  };

  // HTMX requests carry the CSRF token too.
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // HTMX: show failed requests in the page instead of silently doing nothing.
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var data = null;
    try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
    var fallback = document.body.getAttribute("data-error-text") || "Request failed";
    showMessage(errorText(data, fallback + " (" + xhr.status + ")"), "error");
  });
})();
