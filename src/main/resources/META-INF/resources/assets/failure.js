// Failure page: a token inspector for the heatmap, and the cross-layer attribution graph drawn as inline SVG from
// GET /api/attributions/{id}/graph when one exists. Model text is only ever written with textContent.
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';

  // ---- token inspector -------------------------------------------------------------------------------------------
  var heatmap = document.getElementById('heatmap');
  var inspector = document.getElementById('inspector');
  var selected = null;
  function describe(tok) {
    if (!inspector) { return; }
    inspector.textContent = tok.title;
  }
  if (heatmap) {
    heatmap.addEventListener('mouseover', function (e) {
      var tok = e.target.closest('.tok');
      if (tok) { describe(tok); }
    });
    heatmap.addEventListener('click', function (e) {
      var tok = e.target.closest('.tok');
      if (!tok) { return; }
      if (selected) { selected.classList.remove('selected'); }
      selected = tok;
      tok.classList.add('selected');
      describe(tok);
    });
  }

  // ---- graph -----------------------------------------------------------------------------------------------------
  var section = document.getElementById('graph');
  if (!section) { return; }
  var href = section.dataset.graphHref;
  var status = document.getElementById('graph-status');
  var view = document.getElementById('graph-view');

  // RdBu, as the server's Palette (blue = negative, red = positive)
  var STOPS = [[33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247],
    [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43]];
  function colour(v) {
    var x = Math.max(-1, Math.min(1, isFinite(v) ? v : 0));
    var p = (x + 1) / 2 * (STOPS.length - 1);
    var i = Math.min(STOPS.length - 2, Math.floor(p));
    var f = p - i;
    var a = STOPS[i], b = STOPS[i + 1];
    return 'rgb(' + [0, 1, 2].map(function (k) { return Math.round(a[k] + (b[k] - a[k]) * f); }).join(', ') + ')';
  }
  function node(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function tokenText(position) {
    var t = heatmap ? heatmap.querySelector('.tok[data-index="' + Number(position) + '"]') : null;
    return t ? t.textContent : '#' + position;
  }

  function draw(g) {
    var nodes = g.nodes || [], edges = g.edges || [];
    if (!nodes.length) { status.textContent = 'The graph of this failure is empty.'; return; }
    var stageOrder = { input: 0, post_attention: 1 };
    var colKey = function (n) { return n.layer * 2 + (stageOrder[n.stage] || 0); };
    var cols = Array.from(new Set(nodes.map(colKey))).sort(function (a, b) { return a - b; });
    var rows = Array.from(new Set(nodes.map(function (n) { return n.position; }))).sort(function (a, b) { return a - b; });
    var left = 150, top = 40, colW = 70, rowH = 22;
    var width = left + cols.length * colW + 20, height = top + rows.length * rowH + 10;
    var svg = node('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img',
      'aria-label': 'Attribution graph: layers as columns, tokens as rows, edge width by weight' });
    var pos = {}, maxR = 0, maxW = 0;
    nodes.forEach(function (n) {
      pos[n.id] = { x: left + cols.indexOf(colKey(n)) * colW + colW / 2, y: top + rows.indexOf(n.position) * rowH + rowH / 2 };
      maxR = Math.max(maxR, Math.abs(n.relevance || 0));
    });
    edges.forEach(function (e) { maxW = Math.max(maxW, Math.abs(e.weight || 0)); });
    cols.forEach(function (c, i) {
      var label = 'L' + Math.floor(c / 2) + (c % 2 ? ' attn' : '');
      svg.appendChild(node('text', { x: left + i * colW + colW / 2, y: top - 14, 'text-anchor': 'middle' }, label));
    });
    rows.forEach(function (p, i) {
      var full = tokenText(p) + ' ' + p;
      var shown = full.length > 20 ? '…' + full.slice(full.length - 19) : full;
      var label = node('text', { x: left - 8, y: top + i * rowH + rowH / 2 + 4, 'text-anchor': 'end' }, shown);
      label.appendChild(node('title', {}, 'token ' + tokenText(p) + ' at position ' + p));
      svg.appendChild(label);
    });
    edges.forEach(function (e) {
      var a = pos[e.source], b = pos[e.target];
      if (!a || !b) { return; }
      var w = maxW > 0 ? Math.abs(e.weight) / maxW : 0;
      var line = node('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: e.weight >= 0 ? '#b2182b' : '#2166ac',
        'stroke-width': (0.4 + 5 * w).toFixed(2), 'stroke-opacity': (0.25 + 0.6 * w).toFixed(2) });
      line.appendChild(node('title', {}, 'weight ' + Number(e.weight).toPrecision(3)));
      svg.appendChild(line);
    });
    nodes.forEach(function (n) {
      var p = pos[n.id];
      var c = node('circle', { cx: p.x, cy: p.y, r: 6, fill: colour(maxR > 0 ? n.relevance / maxR : 0), stroke: '#333' });
      c.appendChild(node('title', {}, 'layer ' + n.layer + ' · ' + n.stage + ' · token ' + tokenText(n.position)
        + ' (' + n.position + ') · relevance ' + Number(n.relevance).toPrecision(3)));
      svg.appendChild(c);
    });
    while (view.firstChild) { view.removeChild(view.firstChild); }
    view.appendChild(svg);
    status.textContent = nodes.length + ' nodes, ' + edges.length + ' edges (pruned). Red edges carry relevance toward the wrong token, blue toward the contrast; width by |weight|.';
  }

  function offerCompute(code) {
    status.textContent = 'No graph for this failure yet (GET answered ' + code + '). ';
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Compute graph';
    b.addEventListener('click', function () {
      b.disabled = true;
      fetch(href, { method: 'POST' }).then(function (r) {
        if (!r.ok) { status.textContent = 'This deployment does not compute graphs (POST answered ' + r.status + ').'; return; }
        status.textContent = 'Graph requested; waiting for it…';
        poll(60);
      }).catch(function () { status.textContent = 'Could not request a graph.'; });
    });
    status.appendChild(b);
  }
  function poll(left) {
    fetch(href, { headers: { Accept: 'application/json' } }).then(function (r) {
      if (r.ok) { return r.json().then(draw); }
      if (left > 0) { setTimeout(function () { poll(left - 1); }, 2000); } else { status.textContent = 'No graph arrived yet; reload later.'; }
    }).catch(function () { status.textContent = 'Could not load the graph.'; });
  }
  fetch(href, { headers: { Accept: 'application/json' } }).then(function (r) {
    if (r.ok) { return r.json().then(function (g) { draw(g.graph || g); }); }
    offerCompute(r.status);
  }).catch(function () { status.textContent = 'Could not load the graph.'; });
})();
