// Clusters page: draw the parallel coordinates by cluster (the figure is in the page).
(function () {
  "use strict";

  function draw() {
    var el = document.getElementById("cluster-parallel");
    var source = document.getElementById("cluster-parallel-figure");
    if (!el || !source) { return; }
    try {
      var fig = JSON.parse(source.textContent);
      var layout = Object.assign({ autosize: true }, fig.layout || {});
      window.Plotly.newPlot(el, fig.data || [], layout, { responsive: true, displaylogo: false })
        .then(function () { el.setAttribute("data-rendered", "true"); });
    } catch (err) {
      el.textContent = el.getAttribute("data-error") + ": " + err.message;
      el.classList.add("plot-error");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
