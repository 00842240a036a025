// Draws the dashboard's Plotly figures; each figure's JSON sits in a <script type="application/json">.
(function () {
  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll('.plot[data-figure]').forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout,
        { displaylogo: false, responsive: true }).then(function () {
        el.setAttribute('data-drawn', '1');
      });
    });
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', draw); } else { draw(); }
})();
