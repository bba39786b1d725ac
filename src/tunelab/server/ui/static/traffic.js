// Traffic editor of the deployment page: weighted routes, shadows and stickiness
// (GET/PUT /api/v1/deployments/{id}/traffic), references suggested from the registry.
(function () {
  "use strict";

  var card = document.getElementById("traffic-card");
  if (!card) { return; }
  var api = card.getAttribute("data-traffic-api");
  var routes = document.getElementById("traffic-routes");
  var shadows = document.getElementById("traffic-shadows");
  var sticky = document.getElementById("traffic-sticky");
  var error = document.getElementById("traffic-error");
  var ok = document.getElementById("traffic-ok");

  function text(name) { return card.getAttribute("data-text-" + name) || ""; }

  function input(type, value, testid, label) {
    var el = document.createElement("input");
    el.type = type;
    el.value = value === undefined || value === null ? "" : value;
    el.setAttribute("data-testid", testid);
    el.setAttribute("aria-label", label);
    return el;
  }

  function removeButton(row) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm";
    button.textContent = text("remove");
    button.setAttribute("data-testid", "traffic-remove");
    button.addEventListener("click", function () { row.remove(); updateShares(); });
    return button;
  }

  function addRoute(route) {
    var row = document.createElement("div");
    row.className = "traffic-row";
    row.setAttribute("data-testid", "traffic-route");
    var ref = input("text", route.model, "traffic-route-model", text("reference"));
    ref.setAttribute("list", "traffic-references");
    var weight = input("number", route.weight === undefined ? 10 : route.weight, "traffic-route-weight", text("weight"));
    weight.min = "0";
    weight.step = "any";
    weight.addEventListener("input", updateShares);
    var share = document.createElement("span");
    share.className = "muted small traffic-share";
    share.setAttribute("data-testid", "traffic-route-share");
    var serving = document.createElement("span");
    serving.className = "muted small";
    serving.setAttribute("data-testid", "traffic-route-serving");
    if (route.serving) { serving.textContent = text("serving").replace("{version}", route.serving); }
    row.append(ref, weight, share, serving, removeButton(row));
    routes.appendChild(row);
    updateShares();
  }

  function addShadow(shadow) {
    var row = document.createElement("div");
    row.className = "traffic-row";
    row.setAttribute("data-testid", "traffic-shadow");
    var ref = input("text", shadow.model, "traffic-shadow-model", text("reference"));
    ref.setAttribute("list", "traffic-references");
    var serving = document.createElement("span");
    serving.className = "muted small";
    if (shadow.serving) { serving.textContent = text("serving").replace("{version}", shadow.serving); }
    row.append(ref, serving, removeButton(row));
    shadows.appendChild(row);
  }

  function updateShares() {
    var rows = routes.querySelectorAll("[data-testid=traffic-route]");
    var total = 0;
    rows.forEach(function (row) { total += Math.max(0, parseFloat(row.querySelector("[data-testid=traffic-route-weight]").value) || 0); });
    rows.forEach(function (row) {
      var w = Math.max(0, parseFloat(row.querySelector("[data-testid=traffic-route-weight]").value) || 0);
      var pct = total > 0 ? Math.round(1000 * w / total) / 10 : 0;
      row.querySelector("[data-testid=traffic-route-share]").textContent = text("share").replace("{pct}", pct);
    });
  }

  function render(state) {
    routes.innerHTML = "";
    shadows.innerHTML = "";
    (state.routes || []).forEach(addRoute);
    (state.shadow || []).forEach(addShadow);
    sticky.checked = !!state.sticky;
  }

  function body() {
    var out = { routes: [], shadow: [], sticky: sticky.checked };
    routes.querySelectorAll("[data-testid=traffic-route]").forEach(function (row) {
      out.routes.push({
        model: row.querySelector("[data-testid=traffic-route-model]").value.trim(),
        weight: parseFloat(row.querySelector("[data-testid=traffic-route-weight]").value) || 0
      });
    });
    shadows.querySelectorAll("[data-testid=traffic-shadow]").forEach(function (row) {
      var value = row.querySelector("[data-testid=traffic-shadow-model]").value.trim();
      if (value) { out.shadow.push(value); }
    });
    return out;
  }

  function suggestions() {
    window.tunelab.api("GET", card.getAttribute("data-registry-api")).then(function (items) {
      var list = document.getElementById("traffic-references");
      (Array.isArray(items) ? items : (items && items.items) || []).forEach(function (item) {
        var refs = Object.keys(item.aliases || {}).map(function (a) { return item.name + "@" + a; });
        if (item.latest_version) { refs.push(item.name + "/" + item.latest_version); }
        refs.forEach(function (ref) {
          var option = document.createElement("option");
          option.value = ref;
          list.appendChild(option);
        });
      });
    }).catch(function () { /* suggestions are optional */ });
  }

  document.getElementById("traffic-add-route").addEventListener("click", function () { addRoute({ model: "", weight: 10 }); });
  document.getElementById("traffic-add-shadow").addEventListener("click", function () { addShadow({ model: "" }); });
  document.getElementById("traffic-form").addEventListener("submit", function (evt) {
    evt.preventDefault();
    error.hidden = true;
    ok.hidden = true;
    var button = evt.target.querySelector("button[type=submit]");
    button.disabled = true;
    window.tunelab.api("PUT", api, body())
      .then(function (state) {
        render(state);
        ok.textContent = text("saved");
        ok.hidden = false;
        card.setAttribute("data-saved", "true");
      })
      .catch(function (err) {
        error.textContent = err.message;
        error.hidden = false;
      })
      .then(function () { button.disabled = false; });
  });

  window.tunelab.api("GET", api).then(function (state) {
    render(state);
    card.setAttribute("data-loaded", "true");
  }).catch(function (err) {
    error.textContent = err.message;
    error.hidden = false;
  });
  suggestions();
})();
