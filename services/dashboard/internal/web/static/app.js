// Refreshes each section of the dashboard from the server's event stream:
// every event names a section and carries its new HTML, rendered by the
// server (charts included). If the stream drops, EventSource reconnects.
(function () {
  var live = document.getElementById("live");
  if (!window.EventSource || !live) { return; }
  var source = new EventSource("/dashboard/events");
  source.addEventListener("section", function (e) {
    var msg = JSON.parse(e.data);
    var el = document.getElementById(msg.id);
    if (el) { el.innerHTML = msg.html; }
    live.textContent = "live, updated " + new Date().toLocaleTimeString();
  });
  source.onerror = function () { live.textContent = "reconnecting..."; };
})();
