// The hall's called-number screen: polls display.json every 3 s and redraws the board without a reload.
// A number called anew (or recalled) flashes; nothing here is personal data, only numbers and windows.
(function () {
  "use strict";
  var POLL_MS = 3000;
  var board = document.getElementById("queue-display");
  if (!board) { return; }
  var source = board.getAttribute("data-source");
  var seen = {};

  function text(node, value) { node.textContent = value; }

  function key(call) { return call ? call.number + "#" + call.recalls : ""; }

  function drawWindows(windows) {
    var body = document.querySelector("#display-windows tbody");
    var rows = [];
    windows.forEach(function (w) {
      var row = document.createElement("tr");
      row.setAttribute("data-window", String(w.number));
      var name = document.createElement("td");
      text(name, w.number + "号窗口 ");
      var small = document.createElement("small");
      text(small, w.name);
      name.appendChild(small);
      var number = document.createElement("td");
      number.className = "queue-number";
      number.setAttribute("data-role", "number");
      text(number, w.current ? w.current.number : "—");
      var fresh = key(w.current);
      if (fresh && seen[w.number] !== undefined && seen[w.number] !== fresh) { number.className += " queue-flash"; }
      seen[w.number] = fresh;
      row.appendChild(name);
      row.appendChild(number);
      rows.push(row);
    });
    body.replaceChildren.apply(body, rows);
  }

  function drawRecent(recent) {
    var list = document.getElementById("display-recent");
    list.replaceChildren.apply(list, recent.map(function (call) {
      var item = document.createElement("li");
      text(item, call.called_at + " 请 " + call.number + " 号到 " + call.window + " 号窗口");
      return item;
    }));
  }

  function poll() {
    fetch(source, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        drawWindows(data.windows);
        drawRecent(data.recent);
        text(document.getElementById("display-waiting"), String(data.waiting));
        text(document.getElementById("display-status"), "");
      })
      .catch(function () { text(document.getElementById("display-status"), "连接中断，正在重试…"); })
      .finally(function () { window.setTimeout(poll, POLL_MS); });
  }

  document.querySelectorAll("#display-windows tbody tr").forEach(function (row) {
    seen[row.getAttribute("data-window")] = undefined;
  });
  window.setTimeout(poll, POLL_MS);
}());
