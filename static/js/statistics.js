/* Statistics page: draws the figures the server aggregated (the json_script "statistics-data")
 * with Chart.js from our static files — sent as a line over delivered and undelivered bars per
 * day or month, and, with a breakdown, stacked outcome bars per sender name, operator or campaign.
 * The table below the charts carries the same numbers, so nothing depends on this script. */
(function () {
  "use strict";

  var source = document.getElementById("statistics-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var css = window.getComputedStyle(document.documentElement);

  function color(name, fallback) {
    var value = css.getPropertyValue(name).trim();
    return value || fallback;
  }

  var COLORS = {
    sent: color("--primary", "#2456a6"),
    delivered: color("--ok", "#1c6e46"),
    undelivered: color("--danger", "#a3262d"),
    in_progress: color("--warn", "#7d5300"),
    not_sent: color("--grey", "#55606d")
  };

  function formatCount(n) {
    if (window.SmsPortal) return window.SmsPortal.formatNumber(n, 0);
    return String(n);
  }

  var narrow = window.matchMedia("(max-width: 640px)");
  Chart.defaults.font.family = color("--font", "system-ui, sans-serif");
  Chart.defaults.color = color("--muted", "#5f6b7a");
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  var tooltip = {
    mode: "index",
    intersect: false,
    callbacks: {
      label: function (ctx) { return ctx.dataset.label + ": " + formatCount(ctx.parsed[ctx.chart.options.indexAxis === "y" ? "x" : "y"]); }
    }
  };
  var countTicks = { precision: 0, callback: function (value) { return formatCount(value); } };

  var periods = document.getElementById("statistics-chart");
  if (periods) {
    new Chart(periods, {
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s) {
          var isLine = s.key === "sent";
          return {
            type: isLine ? "line" : "bar",
            label: s.label,
            data: s.data,
            order: isLine ? 0 : 1,
            borderColor: COLORS[s.key],
            backgroundColor: isLine ? COLORS[s.key] : COLORS[s.key] + "cc",
            borderWidth: isLine ? 2 : 0,
            pointRadius: data.labels.length > 62 ? 0 : 2,
            tension: 0.2
          };
        })
      },
      options: {
        interaction: { mode: "index", intersect: false },
        plugins: { tooltip: tooltip, legend: { position: "bottom" } },
        scales: {
          x: { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0, maxTicksLimit: narrow.matches ? 4 : 12 } },
          y: { beginAtZero: true, ticks: countTicks }
        }
      }
    });
  }

  var breakdown = document.getElementById("statistics-breakdown");
  if (breakdown && data.breakdown) {
    new Chart(breakdown, {
      type: "bar",
      data: {
        labels: data.breakdown.labels.map(function (label) {
          return label.length > 28 ? label.slice(0, 27) + "…" : label;
        }),
        datasets: data.breakdown.series.map(function (s) {
          return { label: s.label, data: s.data, backgroundColor: COLORS[s.key] + "cc", borderWidth: 0 };
        })
      },
      options: {
        indexAxis: "y",
        plugins: { tooltip: tooltip, legend: { position: "bottom" } },
        scales: {
          x: { stacked: true, beginAtZero: true, ticks: countTicks },
          y: { stacked: true, grid: { display: false } }
        }
      }
    });
  }
})();
