// Live updates of the runs table: rows arrive as JSON over server-sent events (/ui/stream) and are written into the
// table with textContent only (run ids, model names and benchmarks are producer text).
(function () {
  'use strict';
  var table = document.getElementById('runs');
  var live = document.getElementById('live');
  if (!table || !window.EventSource) {
    if (live) { live.textContent = 'Live updates: not supported by this browser (reload to refresh)'; }
    return;
  }
  var tbody = table.tBodies[0];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function link(href, text) {
    var a = el('a', null, text);
    a.setAttribute('href', href);
    return a;
  }
  function render(r) {
    var tr = document.createElement('tr');
    tr.dataset.runId = r.runId;
    var c = el('td', 'c-run'); c.appendChild(link(r.href, r.runId)); tr.appendChild(c);
    c = el('td', 'c-model'); if (r.modelHref) { c.appendChild(link(r.modelHref, r.model)); } tr.appendChild(c);
    tr.appendChild(el('td', 'c-revision', r.revision || ''));
    tr.appendChild(el('td', 'c-benchmark', r.benchmark || ''));
    tr.appendChild(el('td', 'c-events num', r.events));
    c = el('td', 'c-accuracy num', r.accuracy);
    c.title = r.correct + ' correct of ' + (r.correct + r.incorrect) + ' scored; ' + r.unscorable + ' unscorable';
    tr.appendChild(c);
    c = el('td', 'c-failures');
    (r.failures || []).forEach(function (f) {
      var a = link(f.href, f.status + ' ');
      a.className = 'badge st-' + f.status;
      a.appendChild(el('b', null, f.count));
      c.appendChild(a);
      c.appendChild(document.createTextNode(' '));
    });
    tr.appendChild(c);
    c = el('td', 'c-coverage num', r.coverage);
    c.title = r.attributed + ' attributed of ' + r.incorrect + ' failures';
    tr.appendChild(c);
    c = el('td', 'c-last', r.lastResultText || '');
    c.title = r.lastResultAt || '';
    tr.appendChild(c);
    return tr;
  }
  function upsert(r) {
    var old = null;
    for (var i = 0; i < tbody.rows.length; i++) {
      if (tbody.rows[i].dataset.runId === r.runId) { old = tbody.rows[i]; break; }
    }
    var tr = render(r);
    if (old) { tbody.replaceChild(tr, old); } else { tbody.insertBefore(tr, tbody.firstChild); }
    tr.classList.add('flash');
    var empty = document.getElementById('empty');
    if (empty) { empty.hidden = true; }
  }

  var since = table.dataset.version || '0';
  var source = new EventSource(table.dataset.stream + '?since=' + encodeURIComponent(since));
  source.onopen = function () { live.textContent = 'Live'; live.className = 'live on'; };
  source.onerror = function () { live.textContent = 'Live updates: reconnecting…'; live.className = 'live off'; };
  source.onmessage = function (e) {
    try { upsert(JSON.parse(e.data)); } catch (err) { /* a malformed message must not stop the stream */ }
  };
})();
