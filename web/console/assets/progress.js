// intercom-privacy console: live progress of a running request's steps.
// Hand-written, no library. The request page works without it (it then has a
// link to reload); with it, the steps table updates in place every few
// seconds from GET /requests/{id}/progress, so a form being typed in on the
// page is never lost to a reload. The status line (role="status") changes
// only when a step finishes or the request's state changes, so a screen
// reader is told of progress, not of every poll. Polling stops when the
// request is no longer running, or on the first failure.
(function () {
  "use strict";
  var status = document.getElementById("progress");
  var table = document.getElementById("steps-table");
  if (!status || !table || !status.dataset.src || !window.fetch) {
    return;
  }
  var src = status.dataset.src;
  var every = 2000;
  var last = "";

  function say(text) {
    if (status.textContent !== text) {
      status.textContent = text;
    }
  }

  function update(a) {
    var rows = table.tBodies[0].rows;
    a.steps.forEach(function (s, i) {
      var row = rows[i];
      if (!row) {
        return;
      }
      [s.name, s.state, String(s.attempts), s.finished, s.counts].forEach(function (v, j) {
        if (row.cells[j] && row.cells[j].textContent !== v) {
          row.cells[j].textContent = v;
        }
      });
    });
    var summary = a.done + " of " + a.steps.length + " steps done; the request is " + a.state + ".";
    if (a.paused) {
      summary += " Paused: " + a.paused;
    }
    if (!a.live) {
      say("The request is " + a.state + ". Reload the page for its results.");
      status.dataset.finished = "true";
      return false;
    }
    if (summary !== last) {
      last = summary;
      say("Following the steps live: " + summary);
    }
    return true;
  }

  function poll() {
    fetch(src, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("status " + r.status);
        }
        return r.json();
      })
      .then(function (a) {
        if (update(a)) {
          window.setTimeout(poll, every);
        }
      })
      .catch(function () {
        say("Live progress stopped. Reload the page to see the latest progress.");
      });
  }

  say("Following the steps live: the table updates by itself.");
  window.setTimeout(poll, every);
})();
