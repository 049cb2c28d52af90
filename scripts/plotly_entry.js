// The Plotly drawn by Crossview's charts (app/ui/charts.py): its core (scatter) and the other trace
// types the app uses. A trace type missing here is refused in Python before it reaches the browser.
var Plotly = require('plotly.js/lib/core');
Plotly.register([
  require('plotly.js/lib/bar'),
  require('plotly.js/lib/heatmap'),
  require('plotly.js/lib/funnel'),
]);
module.exports = Plotly;
