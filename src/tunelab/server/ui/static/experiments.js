// New experiment page: drag-and-drop / chunked upload with progress, S3 import, samples.
(function () {
  "use strict";
  var cfgNode = document.getElementById("new-experiment-config");
  if (!cfgNode) { return; }
  var cfg = JSON.parse(cfgNode.textContent);
  var text = cfg.text;

  function $(id) { return document.getElementById(id); }

  // Show the chosen dataset's panel (it polls itself until the parse job ends).
  function showDataset(created, target) {
    var url = cfg.panelUrl + encodeURIComponent(created.id) +
      "?job_id=" + encodeURIComponent(created.job_id || "") +
      "&target=" + encodeURIComponent(target || "");
    htmx.ajax("GET", url, { target: "#dataset-panel", swap: "innerHTML" });
    $("dataset-card").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // ---- upload ---------------------------------------------------------------
  var zone = $("dropzone"), input = $("file-input"), errorBox = $("upload-error");
  var busy = false;

  function setProgress(fraction, label) {
    $("upload-progress").hidden = false;
    var pct = Math.round(fraction * 100);
    $("upload-bar").style.width = pct + "%";
    $("upload-percent").textContent = label || pct + "%";
  }
  function uploadError(message) {
    errorBox.textContent = message;
    $("upload-progress").hidden = true;
    busy = false;
  }
  function extensionOk(name) {
    var lower = name.toLowerCase();
    return cfg.extensions.some(function (ext) { return lower.endsWith(ext); });
  }

  function errorFromXhr(xhr) {
    if (xhr.status === 413) { return text.tooLarge; }
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    var detail = body && Array.isArray(body.detail) ? body.detail[0] : null;
    if (detail && detail.type === "not_a_table") {  // the rule broken, in the page's language
      return text.notTable + " (" + detail.msg + ")";
    }
    return window.tunelab.errorText(body, text.uploadFailed + " (" + xhr.status + ")");
  }

  function multipartUpload(file) {
    var xhr = new XMLHttpRequest();
    var form = new FormData();
    form.append("file", file, file.name);
    xhr.open("POST", "/api/v1/datasets");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", window.tunelab.csrfToken());
    xhr.upload.onprogress = function (evt) {
      if (evt.lengthComputable) { setProgress(evt.loaded / evt.total); }
    };
    xhr.onload = function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        setProgress(1, text.done);
        busy = false;
        showDataset(JSON.parse(xhr.responseText));
      } else {
        uploadError(errorFromXhr(xhr));
      }
    };
    xhr.onerror = function () { uploadError(text.network); };
    xhr.send(form);
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function putChunk(uploadId, index, blob) {
    return fetch("/api/v1/uploads/" + uploadId + "/chunks/" + index, {
      method: "PUT",
      body: blob,
      headers: {
        "Content-Type": "application/octet-stream", "X-CSRF-Token": window.tunelab.csrfToken()
      }
    }).then(function (resp) {
      if (!resp.ok) {
        return resp.json().catch(function () { return null; }).then(function (body) {
          var err = new Error(resp.status === 413 ? text.tooLarge
            : window.tunelab.errorText(body, text.uploadFailed + " (" + resp.status + ")"));
          throw err;
        });
      }
    });
  }

  // Chunked, resumable upload through /api/v1/uploads (files over cfg.chunkedAbove).
  function chunkedUpload(file) {
    setProgress(0, text.hashing);
    var api = window.tunelab.api;
    return file.arrayBuffer()
      .then(function (buf) { return crypto.subtle.digest("SHA-256", buf); })
      .then(function (digest) {
        return api("POST", "/api/v1/uploads", { filename: file.name, size: file.size, sha256: hex(digest) });
      })
      .then(function (session) {
        var size = session.chunk_size, id = session.upload_id;
        var count = Math.max(1, Math.ceil(file.size / size));
        return api("GET", "/api/v1/uploads/" + id).then(function (state) {
          var have = {};
          (state && state.received || []).forEach(function (i) { have[i] = true; });
          var index = 0;
          function next() {
            while (index < count && have[index]) { index += 1; }
            setProgress(index / count);
            if (index >= count) { return api("POST", "/api/v1/uploads/" + id + "/complete"); }
            var i = index;
            index += 1;
            return putChunk(id, i, file.slice(i * size, Math.min(file.size, (i + 1) * size))).then(next);
          }
          return next();
        });
      })
      .then(function (created) {
        setProgress(1, text.done);
        busy = false;
        showDataset(created);
      })
      .catch(function (err) {
        var detail = err.body && Array.isArray(err.body.detail) ? err.body.detail[0] : null;
        if (detail && detail.type === "not_a_table") { uploadError(text.notTable + " (" + detail.msg + ")"); return; }
        uploadError(err.status === 413 ? text.tooLarge : (err.message || text.uploadFailed));
      });
  }

  function upload(file) {
    if (busy || !file) { return; }
    errorBox.textContent = "";
    if (!extensionOk(file.name)) { uploadError(text.unsupported); return; }
    if (file.size > cfg.maxUploadBytes) { uploadError(text.tooLarge); return; }
    busy = true;
    $("upload-file").textContent = file.name;
    setProgress(0, text.uploading);
    var chunked = cfg.endpoints.uploads && file.size > cfg.chunkedAbove && window.crypto && crypto.subtle;
    if (chunked) { chunkedUpload(file); } else { multipartUpload(file); }
  }

  if (zone && input) {
    input.addEventListener("change", function () { upload(input.files[0]); input.value = ""; });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (evt) { evt.preventDefault(); zone.classList.add("dragover"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (evt) { evt.preventDefault(); zone.classList.remove("dragover"); });
    });
    zone.addEventListener("drop", function (evt) {
      var files = evt.dataTransfer && evt.dataTransfer.files;
      if (files && files.length) { upload(files[0]); }
    });
  }

  // ---- S3 import ------------------------------------------------------------
  var s3 = $("s3-form");
  if (s3) {
    s3.addEventListener("submit", function (evt) {
      evt.preventDefault();
      $("s3-error").textContent = "";
      var body = { url: $("s3-url").value.trim(), storage_options: window.tunelab.s3Options(s3) };
      window.tunelab.api("POST", "/api/v1/datasets/import", body)
        .then(function (created) { showDataset(created); })
        .catch(function (err) { $("s3-error").textContent = text.importFailed + ": " + err.message; });
    });
  }

  // ---- bundled samples ------------------------------------------------------
  var list = $("samples-list");
  function useSample(name, target, button) {
    button.disabled = true;
    $("samples-error").textContent = "";
    window.tunelab.api("POST", "/api/v1/datasets/samples/" + encodeURIComponent(name))
      .then(function (created) { button.disabled = false; showDataset(created, target); })
      .catch(function (err) {
        button.disabled = false;
        $("samples-error").textContent = text.samplesFailed + ": " + err.message;
      });
  }
  if (list) {
    // the list is rendered by the server (titles in the page's language); wire its buttons
    Array.prototype.forEach.call(list.querySelectorAll("[data-testid='sample-use']"), function (button) {
      button.addEventListener("click", function () {
        useSample(button.getAttribute("data-sample"), button.getAttribute("data-target") || "", button);
      });
    });
  }
})();
