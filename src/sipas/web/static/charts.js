// Draws every chart of a page from the figure data the page embeds (no inline script needed).
document.querySelectorAll("script[type='application/json'][data-chart]").forEach(function (node) {
  var target = document.getElementById(node.dataset.chart);
  if (!target || typeof Plotly === "undefined") { return; }
  var figure = JSON.parse(node.textContent);
  Plotly.newPlot(target, figure.data, figure.layout, figure.config).then(function () {
    target.setAttribute("data-drawn", "true");
  });
});
