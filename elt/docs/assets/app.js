/* elt docs site: model list, ranked search, pan/zoom DAG with a focus view, model pages, the last run
 * and column lineage.
 * Plain browser JavaScript, no library and no network: the data comes from data.js (window.ELT_DOCS),
 * the whole graph is the SVG drawn by `elt docs generate`; a focus view (a selector's nodes) is laid
 * out here. Routes live in the URL hash:
 *   #!/node/<unique id>            a model, seed or source
 *   #!/node/<unique id>/<column>   ... with one column's lineage opened
 *   #!/graph[/<selector>]          the graph full-screen (the whole graph, or a selector's nodes)
 * Every text from the project is inserted with textContent (or escaped), never as HTML. */
(function () {
  "use strict";

  var STARTED_MS = performance.now();
  var D = window.ELT_DOCS;
  var details = document.getElementById("details");
  if (!D) {
    details.textContent = "data.js is missing: run `elt docs generate` again.";
    return;
  }
  var NODES = D.nodes;

  /* ---------- small DOM helpers ---------- */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function naturalCompare(a, b) {  // stg_2 before stg_10, as site_data.natural_key
    var x = a.toLowerCase().match(/\d+|\D+/g) || [], y = b.toLowerCase().match(/\d+|\D+/g) || [];
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] === y[i]) continue;
      var dx = /^\d/.test(x[i]), dy = /^\d/.test(y[i]);
      if (dx && dy) return (+x[i]) - (+y[i]) || x[i].length - y[i].length;
      if (dx !== dy) return dx ? -1 : 1;
      return x[i] < y[i] ? -1 : 1;
    }
    return x.length - y.length || (a < b ? -1 : a > b ? 1 : 0);
  }
  function escapeXml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function nodeHref(uid, column) {
    return "#!/node/" + encodeURIComponent(uid) + (column ? "/" + encodeURIComponent(column) : "");
  }
  function link(uid, column, label) {
    var node = NODES[uid];
    var text = label || (node ? node.name : uid) + (column ? "." + column : "");
    return el("a", { href: nodeHref(uid, column), text: text, title: node ? node.caption : uid });
  }

  /* ---------- graph: ancestors and descendants ---------- */
  function closure(uid, key) {
    var seen = {}, stack = [uid];
    while (stack.length) {
      var current = NODES[stack.pop()];
      if (!current) continue;
      current[key].forEach(function (next) {
        if (!seen[next]) { seen[next] = true; stack.push(next); }
      });
    }
    return seen;
  }

  /* ---------- sidebar: layers, search ---------- */
  var list = document.getElementById("node-list");
  var search = document.getElementById("search");

  /* Search ranks: the name (exact, then prefix, then inside it), then the description, a column's name,
   * a column's description, the SQL. Each hit says why it matched. */
  var SEARCH_LIMIT = 200;
  var TYPE_RANK = { model: 1, snapshot: 2, seed: 3, source: 4 };
  function snippet(text, at, length) {
    var start = Math.max(0, at - 30), end = Math.min(text.length, at + length + 40);
    return (start ? "…" : "") + text.slice(start, end).replace(/\s+/g, " ").trim() + (end < text.length ? "…" : "");
  }
  function searchHit(node, query) {
    var name = node.name.toLowerCase(), at;
    if (name === query) return { rank: 0, why: "name" };
    if (name.indexOf(query) === 0) return { rank: 1, why: "name starts with it" };
    if ((at = name.indexOf(query)) > 0) return { rank: 2, why: "in the name", at: at };
    var description = node.description || "";
    if ((at = description.toLowerCase().indexOf(query)) >= 0) return { rank: 3, why: "description: " + snippet(description, at, query.length) };
    for (var i = 0; i < node.columns.length; i++) {
      if (node.columns[i].name.toLowerCase().indexOf(query) >= 0) return { rank: 4, why: "column " + node.columns[i].name };
    }
    for (i = 0; i < node.columns.length; i++) {
      var text = node.columns[i].description || "";
      if ((at = text.toLowerCase().indexOf(query)) >= 0) return { rank: 5, why: "column " + node.columns[i].name + ": " + snippet(text, at, query.length) };
    }
    var sql = node.raw_sql || "";
    if ((at = sql.toLowerCase().indexOf(query)) >= 0) return { rank: 6, why: "SQL: " + snippet(sql, at, query.length) };
    return null;
  }
  function searchResults(query) {
    var hits = [];
    Object.keys(NODES).forEach(function (uid) {
      var hit = searchHit(NODES[uid], query);
      if (hit) { hit.uid = uid; hits.push(hit); }
    });
    // Ties: models before seeds and sources, then the earlier match, then the shorter name.
    return hits.sort(function (a, b) {
      var x = NODES[a.uid], y = NODES[b.uid];
      return a.rank - b.rank || (TYPE_RANK[x.resource_type] || 9) - (TYPE_RANK[y.resource_type] || 9) ||
             (a.at || 0) - (b.at || 0) || x.name.length - y.name.length || naturalCompare(x.name, y.name);
    });
  }
  function listItem(uid, why) {
    var node = NODES[uid];
    var status = node.last_run && node.last_run.run ? node.last_run.run.status : null;
    var a = el("a", { href: nodeHref(uid), "data-uid": uid },
               [el("span", { text: node.name }), el("span", { className: "kind", text: node.materialized || node.resource_type })]);
    if (status) a.appendChild(el("span", { className: "status-dot status-" + status.replace(/\s+/g, "-"), title: "last run: " + status }));
    if (uid === current.uid) a.className = "current";
    return el("li", {}, [a, why ? el("div", { className: "why", text: why }) : null]);
  }

  /* The list by layer shows LAYER_LIMIT names per layer until asked for all (a layer of thousands
   * of names is slow to lay out and nobody scrolls it); the open node's layer always shows it. */
  var LAYER_LIMIT = 100;
  var expanded = {};
  var listed = { query: null, uid: undefined };
  function renderList() {
    var query = search.value.trim().toLowerCase();
    if (listed.query === query) {  // only the current node changed: move the highlight
      if (listed.uid === current.uid) return;
      var before = list.querySelector("a.current");
      if (before) before.classList.remove("current");
      var now = current.uid ? list.querySelector('a[data-uid="' + cssEscape(current.uid) + '"]') : null;
      if (now || query || !current.uid || !NODES[current.uid]) {
        if (now) now.classList.add("current");
        listed.uid = current.uid;
        return;
      }
      expanded[NODES[current.uid].layer] = true;  // the open node is beyond its layer's first names
    }
    listed = { query: query, uid: current.uid };
    list.textContent = "";
    if (query) {
      var hits = searchResults(query);
      if (!hits.length) {
        list.appendChild(el("div", { className: "no-match", text: "Nothing matches “" + search.value + "”." }));
        return 0;
      }
      list.appendChild(el("div", { className: "layer-group search-results" }, [
        el("h3", { text: hits.length + " match" + (hits.length === 1 ? "" : "es") + ", best first" }),
        el("ul", {}, hits.slice(0, SEARCH_LIMIT).map(function (hit) { return listItem(hit.uid, hit.why); })),
        hits.length > SEARCH_LIMIT ? el("div", { className: "no-match", text: (hits.length - SEARCH_LIMIT) + " more: refine the search" }) : null,
      ]));
      return hits.length;
    }
    var shown = 0;
    if (current.uid && NODES[current.uid] && D.layers.some(function (layer) {
      return layer.name === NODES[current.uid].layer && layer.nodes.indexOf(current.uid) >= LAYER_LIMIT;
    })) expanded[NODES[current.uid].layer] = true;
    D.layers.forEach(function (layer) {
      var items = layer.nodes;
      if (!items.length) return;
      shown += items.length;
      var swatch = el("span", { className: "swatch" });
      swatch.style.background = layer.colour;
      var visible = expanded[layer.name] ? items : items.slice(0, LAYER_LIMIT);
      var ul = el("ul", {}, visible.map(function (uid) { return listItem(uid, null); }));
      var more = null;
      if (visible.length < items.length) {
        more = el("button", { type: "button", className: "show-all", text: "show all " + items.length });
        more.addEventListener("click", function () {
          expanded[layer.name] = true;
          listed.query = null;
          renderList();
        });
      }
      list.appendChild(el("div", { className: "layer-group" },
        [el("h3", {}, [swatch, layer.name + " (" + items.length + ")"]), ul, more]));
    });
    return shown;
  }
  search.addEventListener("input", renderList);
  search.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    var first = list.querySelector("a[data-uid]");
    if (first) location.hash = first.getAttribute("href");
  });

  var legend = document.getElementById("legend");
  D.layers.forEach(function (layer) {
    var swatch = el("span", { className: "swatch" });
    swatch.style.background = layer.colour;
    legend.appendChild(el("span", {}, [swatch, layer.name]));
  });

  /* ---------- graph: pan and zoom by moving the SVG viewBox ---------- */
  var graphBox = document.getElementById("graph");
  var svg = document.getElementById("dag");
  var full = { x: 0, y: 0, w: +svg.getAttribute("data-width"), h: +svg.getAttribute("data-height") };
  var view = { x: full.x, y: full.y, w: full.w, h: full.h };
  var MAX_FIT_SCALE = 1.25;

  // Zoomed out so far that names would be under ~5px, the drawing hides its texts (class "far"):
  // they are unreadable there, and laying out thousands of SVG texts is most of the cost of a frame.
  var FAR_SCALE = 0.4;
  var pane = { w: 0, h: 0 };
  function measurePane() {
    var rect = svg.getBoundingClientRect();
    pane = { w: rect.width, h: rect.height };
  }
  function applyView() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
    if (pane.w) svg.classList.toggle("far", Math.min(pane.w / view.w, pane.h / view.h) < FAR_SCALE);
  }
  function toSvgPoint(clientX, clientY) {
    var ctm = svg.getScreenCTM();
    if (!ctm) return { x: view.x + view.w / 2, y: view.y + view.h / 2 };
    var point = svg.createSVGPoint();
    point.x = clientX; point.y = clientY;
    return point.matrixTransform(ctm.inverse());
  }
  function zoom(factor, clientX, clientY) {
    var rect = svg.getBoundingClientRect();
    var centre = clientX === undefined ? toSvgPoint(rect.left + rect.width / 2, rect.top + rect.height / 2)
                                       : toSvgPoint(clientX, clientY);
    var w = Math.min(Math.max(view.w * factor, full.w / 20), full.w * 4);
    var actual = w / view.w;
    view.x = centre.x - (centre.x - view.x) * actual;
    view.y = centre.y - (centre.y - view.y) * actual;
    view.w = w; view.h = view.h * actual;
    applyView();
  }
  function fit() {
    // The whole graph, centred, never magnified more than MAX_FIT_SCALE (a small DAG stays readable).
    measurePane();
    var rect = svg.getBoundingClientRect();
    var scale = Math.min(rect.width / full.w, rect.height / full.h, MAX_FIT_SCALE) || 1;
    var w = rect.width / scale || full.w, h = rect.height / scale || full.h;
    view = { x: full.x - (w - full.w) / 2, y: full.y - (h - full.h) / 2, w: w, h: h };
    applyView();
  }
  function reveal(uid) {
    var group = drawing().querySelector('.node[data-uid="' + cssEscape(uid) + '"]');
    if (!group) return;
    var box = group.getBBox(), m = group.transform.baseVal.consolidate();
    var x = (m ? m.matrix.e : 0) + box.width / 2, y = (m ? m.matrix.f : 0) + box.height / 2;
    if (x < view.x || x > view.x + view.w || y < view.y || y > view.y + view.h) {
      view.x = x - view.w / 2; view.y = y - view.h / 2;
      applyView();
    }
  }
  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : text.replace(/["\\]/g, "\\$&");
  }

  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1 / 1.3); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(1.3); });
  document.getElementById("zoom-fit").addEventListener("click", fit);
  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    zoom(Math.exp(event.deltaY * 0.0015), event.clientX, event.clientY);
  }, { passive: false });

  var drag = null;
  svg.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, moved: false, view: { x: view.x, y: view.y } };
  });
  window.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    graphBox.classList.add("panning");
    var ctm = svg.getScreenCTM(), scale = ctm ? ctm.a : 1;
    view.x = drag.view.x - dx / scale; view.y = drag.view.y - dy / scale;
    applyView();
  });
  window.addEventListener("pointerup", function () {
    graphBox.classList.remove("panning");
    setTimeout(function () { drag = null; }, 0);
  });
  svg.addEventListener("click", function (event) {
    if (drag && drag.moved) return;
    var group = event.target.closest(".node");
    if (group) location.hash = nodeHref(group.getAttribute("data-uid"));
  });
  svg.addEventListener("keydown", function (event) {
    var group = event.target.closest && event.target.closest(".node");
    if (group && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      location.hash = nodeHref(group.getAttribute("data-uid"));
    }
  });


  /* ---------- graph: selectors, as on the command line (elt.run.selection), evaluated here ----------
   * Works: name (wildcards), tag:, path:, resource_type:, source:, fqn:, config.materialized:, with
   * N+ / + before (ancestors), + / +N after (descendants), @ before; space = union, comma = intersection.
   * Not here (they need the project or the database): other config.<key>:, test_type:, state:. */
  var SELECTOR_ATOM = /^(@)?(?:(\d*)\+)?(.*?)(?:\+(\d*))?$/;
  var NAMED = { model: true, seed: true, snapshot: true };
  function globRegExp(pattern) {
    var out = "";
    for (var i = 0; i < pattern.length; i++) {
      var c = pattern[i];
      if (c === "*") out += ".*";
      else if (c === "?") out += ".";
      else if (c === "[" && pattern.indexOf("]", i + 1) > i) {
        var end = pattern.indexOf("]", i + 1), body = pattern.slice(i + 1, end);
        out += "[" + (body[0] === "!" ? "^" + body.slice(1) : body).replace(/\\/g, "\\\\") + "]";
        i = end;
      } else out += c.replace(/[.+^${}()|\\\/]/g, "\\$&");
    }
    return new RegExp("^" + out + "$");
  }
  function glob(pattern, text) { return globRegExp(pattern).test(text || ""); }
  var MATCHERS = {
    name: function (node, value) { return !!NAMED[node.resource_type] && glob(value, node.name); },
    tag: function (node, value) { return node.tags.some(function (tag) { return glob(value, tag); }); },
    path: function (node, value) {
      value = value.replace(/\\/g, "/").replace(/^\.\//, "").replace(/\/+$/, "");
      return node.path === value || node.path.indexOf(value + "/") === 0 || glob(value, node.path);
    },
    resource_type: function (node, value) { return node.resource_type === value; },
    source: function (node, value) {
      if (node.resource_type !== "source") return false;
      var parts = value.split("."), table = node.name.slice((node.source_name || "").length + 1);
      return glob(parts[0], node.source_name) && glob(parts[1] || "*", table);
    },
    fqn: function (node, value) {
      var parts = value.split("."), fqn = node.fqn || [node.name];
      if (parts.length === 1 && glob(value, node.name)) return true;
      return parts.length <= fqn.length && parts.every(function (part, i) { return glob(part, fqn[i]); });
    },
    "config.materialized": function (node, value) { return glob(value, node.materialized || ""); },
  };
  function walk(start, key, depth) {  // every node within `depth` steps (all when depth is null)
    var found = {}, frontier = Object.keys(start), level = 0;
    while (frontier.length && (depth === null || level < depth)) {
      var next = [];
      frontier.forEach(function (uid) {
        (NODES[uid] ? NODES[uid][key] : []).forEach(function (other) {
          if (!found[other]) { found[other] = true; next.push(other); }
        });
      });
      frontier = next; level++;
    }
    return found;
  }
  function evaluateAtom(text) {
    var m = SELECTOR_ATOM.exec(text);
    if (!text || !m || !m[3]) throw new Error("“" + text + "” cannot be parsed");
    if (m[1] && m[2] !== undefined) throw new Error("`@` already includes ancestors; it cannot be combined with a leading `+`");
    var body = m[3], method = "name", value = body, colon = body.indexOf(":");
    if (colon >= 0) { method = body.slice(0, colon); value = body.slice(colon + 1); }
    if (!MATCHERS[method]) {
      throw new Error("the docs site does not evaluate `" + method + ":` (it works here: name, tag:, path:, resource_type:, " +
                      "source:, fqn:, config.materialized:); use `elt ls --select` for it");
    }
    if (!value) throw new Error("`" + method + ":` needs a value");
    var base = {};
    Object.keys(NODES).forEach(function (uid) { if (MATCHERS[method](NODES[uid], value)) base[uid] = true; });
    var result = Object.assign({}, base);
    var depthOf = function (digits) { return digits ? +digits : null; };
    if (m[2] !== undefined) Object.assign(result, walk(base, "parents", depthOf(m[2])));
    if (m[1]) {
      var downs = walk(base, "children", null);
      Object.assign(result, downs, walk(Object.assign({}, base, downs), "parents", null));
    } else if (m[4] !== undefined) Object.assign(result, walk(base, "children", depthOf(m[4])));
    return result;
  }
  function evaluateSelector(text) {
    var union = {};
    text.trim().split(/\s+/).filter(Boolean).forEach(function (selector) {
      var result = null;
      selector.split(",").forEach(function (atom) {
        var found = evaluateAtom(atom);
        if (result === null) result = found;
        else Object.keys(result).forEach(function (uid) { if (!found[uid]) delete result[uid]; });
      });
      Object.assign(union, result);
    });
    return Object.keys(union);
  }

  /* ---------- graph: a focus drawing of some nodes, laid out as elt.docs.layout lays out the whole ---------- */
  var LAYER_RANK = {};
  D.layers.forEach(function (layer, index) { LAYER_RANK[layer.name] = index; });
  var COLOURS = {};
  D.layers.forEach(function (layer) { COLOURS[layer.name] = layer.colour; });
  var NODE_HEIGHT = 40, ROW_GAP = 18, COLUMN_GAP = 64, MARGIN = 20, PADDING = 12, SWEEPS = 4;
  function boxWidth(node) {
    return Math.round(Math.max(node.name.length * 7.6, node.caption.length * 6.4) + 2 * PADDING);
  }
  function layoutNodes(uids) {
    var inSet = {}, parents = {}, children = {}, indegree = {}, order = [], queue = [];
    uids.forEach(function (uid) { inSet[uid] = true; });
    uids.forEach(function (uid) {
      parents[uid] = NODES[uid].parents.filter(function (p) { return inSet[p]; });
      children[uid] = NODES[uid].children.filter(function (c) { return inSet[c]; });
      indegree[uid] = parents[uid].length;
      if (!indegree[uid]) queue.push(uid);
    });
    for (var q = 0; q < queue.length; q++) {
      order.push(queue[q]);
      children[queue[q]].forEach(function (c) { if (!--indegree[c]) queue.push(c); });
    }
    var band = {}, depth = {}, groups = {};
    order.forEach(function (uid) {  // band = the layer's place in the pipeline, never before a parent's
      var b = LAYER_RANK[NODES[uid].layer] || 0;
      parents[uid].forEach(function (p) { b = Math.max(b, band[p]); });
      var d = 0;
      parents[uid].forEach(function (p) { if (band[p] === b) d = Math.max(d, depth[p] + 1); });
      band[uid] = b; depth[uid] = d;
      var key = b * 100000 + d;
      (groups[key] = groups[key] || []).push(uid);
    });
    var columns = Object.keys(groups).map(Number).sort(function (a, b) { return a - b; }).map(function (key) {
      return groups[key].sort(function (a, b) {
        return (NODES[a].resource_type !== "seed") - (NODES[b].resource_type !== "seed") ||
               (LAYER_RANK[NODES[a].layer] || 0) - (LAYER_RANK[NODES[b].layer] || 0) || naturalCompare(NODES[a].name, NODES[b].name);
      });
    });
    var position = {};
    columns.forEach(function (column) { column.forEach(function (uid, i) { position[uid] = i; }); });
    function reorder(column, neighbours) {
      var keyed = column.map(function (uid) {
        var near = neighbours[uid], sum = 0;
        near.forEach(function (n) { sum += position[n]; });
        return { uid: uid, key: near.length ? sum / near.length : position[uid], was: position[uid] };
      }).sort(function (a, b) { return a.key - b.key || a.was - b.was; });
      return keyed.map(function (item, i) { position[item.uid] = i; return item.uid; });
    }
    for (var sweep = 0; sweep < SWEEPS; sweep++) {
      for (var i = 1; i < columns.length; i++) columns[i] = reorder(columns[i], parents);
      for (i = columns.length - 2; i >= 0; i--) columns[i] = reorder(columns[i], children);
    }
    var tallest = 0;
    columns.forEach(function (c) { tallest = Math.max(tallest, c.length); });
    var totalHeight = tallest ? tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP : 0;
    var boxes = {}, x = MARGIN;
    columns.forEach(function (column) {
      var width = 0;
      column.forEach(function (uid) { width = Math.max(width, boxWidth(NODES[uid])); });
      var top = MARGIN + (totalHeight - (column.length * (NODE_HEIGHT + ROW_GAP) - ROW_GAP)) / 2;
      column.forEach(function (uid, row) { boxes[uid] = { x: x, y: top + row * (NODE_HEIGHT + ROW_GAP), w: width }; });
      x += width + COLUMN_GAP;
    });
    return { boxes: boxes, parents: parents, width: columns.length ? x - COLUMN_GAP + MARGIN : 2 * MARGIN,
             height: totalHeight + 2 * MARGIN };
  }
  function drawingMarkup(uids) {
    var layout = layoutNodes(uids), parts = ['<g class="edges">'];
    uids.forEach(function (child) {
      layout.parents[child].forEach(function (parent) {
        var a = layout.boxes[parent], b = layout.boxes[child];
        var x1 = a.x + a.w, y1 = a.y + NODE_HEIGHT / 2, x2 = b.x - 6, y2 = b.y + NODE_HEIGHT / 2;
        var bend = Math.max(30, (x2 - x1) / 2);
        parts.push('<path class="edge" data-from="' + escapeXml(parent) + '" data-to="' + escapeXml(child) + '" d="M' +
                   x1.toFixed(1) + "," + y1.toFixed(1) + " C" + (x1 + bend).toFixed(1) + "," + y1.toFixed(1) + " " +
                   (x2 - bend).toFixed(1) + "," + y2.toFixed(1) + " " + x2.toFixed(1) + "," + y2.toFixed(1) +
                   '" marker-end="url(#arrow)"/>');
      });
    });
    parts.push('</g><g class="nodes">');
    uids.forEach(function (uid) {
      var node = NODES[uid], box = layout.boxes[uid];
      var ephemeral = node.resource_type === "model" && !node.relation ? " ephemeral" : "";
      parts.push('<g class="node type-' + node.resource_type + ephemeral + '" data-uid="' + escapeXml(uid) +
                 '" tabindex="0" role="button" transform="translate(' + box.x.toFixed(1) + "," + box.y.toFixed(1) + ')">' +
                 "<title>" + escapeXml(uid) + '</title><rect width="' + box.w + '" height="' + NODE_HEIGHT + '" rx="7" fill="' +
                 (COLOURS[node.layer] || "#fff") + '"/><text class="name" x="' + PADDING + '" y="17">' + escapeXml(node.name) +
                 '</text><text class="kind" x="' + PADDING + '" y="32">' + escapeXml(node.caption) + "</text></g>");
    });
    parts.push("</g>");
    return { markup: parts.join(""), width: layout.width, height: layout.height };
  }
  var ARROW_DEFS = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="2" refY="5" markerWidth="7" markerHeight="7" ' +
                   'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"/></marker></defs>';

  // The server's drawing stays in the page, hidden (class "off") while a focus drawing is shown: hiding
  // thousands of elements is much cheaper than taking them out of the document and putting them back.
  var wholeDrawing = svg.querySelector(".drawing.whole");
  var focusDrawing = null;
  var wholeSize = { x: full.x, y: full.y, w: full.w, h: full.h };
  var drawnKey = null;      // null: the whole graph is shown
  function drawing() { return focusDrawing || wholeDrawing; }
  function showWhole() {
    if (drawnKey === null) return;
    svg.removeChild(focusDrawing);
    focusDrawing = null; drawnKey = null;
    wholeDrawing.classList.remove("off");
    full = { x: wholeSize.x, y: wholeSize.y, w: wholeSize.w, h: wholeSize.h };
    svg.classList.remove("focus");
    fit();
  }
  function showNodes(uids, key) {
    if (drawnKey === key) return;
    uids = uids.filter(function (uid) { return NODES[uid]; }).sort(function (a, b) { return naturalCompare(NODES[a].name, NODES[b].name); });
    var drawn = drawingMarkup(uids);
    if (focusDrawing) svg.removeChild(focusDrawing);
    focusDrawing = document.createElementNS(svg.namespaceURI, "g");
    focusDrawing.setAttribute("class", "drawing focus");
    focusDrawing.innerHTML = drawn.markup;
    wholeDrawing.classList.add("off");
    svg.appendChild(focusDrawing);
    drawnKey = key;
    full = { x: 0, y: 0, w: drawn.width, h: drawn.height };
    svg.classList.add("focus");
    markRunStatus();
    fit();
  }

  /* the graph tools: a selector, levels around the open node, the whole graph, full screen */
  var FOCUS_MIN_NODES = 150;  // from this size on, a node page draws its neighbourhood, not the whole DAG
  var selectInput = document.getElementById("select");
  var depthInput = document.getElementById("focus-depth");
  var selectNote = document.getElementById("select-note");
  function focusSelector(uid, levels) {
    var node = NODES[uid];
    var atom = node.resource_type === "source" ? "source:" + node.name : node.name;
    return levels + "+" + atom + "+" + levels;
  }
  function drawSelector(text) {
    selectNote.textContent = "";
    if (!text.trim()) { showWhole(); return true; }
    try {
      var uids = evaluateSelector(text);
    } catch (error) {
      selectNote.textContent = error.message;
      selectNote.className = "warn";
      return false;
    }
    selectNote.className = "meta";
    selectNote.textContent = uids.length + " node" + (uids.length === 1 ? "" : "s");
    if (!uids.length) { selectNote.textContent = "nothing matches"; return false; }
    showNodes(uids, "select:" + text.trim());
    return true;
  }
  selectInput.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    if (current.graph !== null) location.hash = "#!/graph/" + encodeURIComponent(selectInput.value.trim());
    else if (drawSelector(selectInput.value) && current.uid) highlight(current.uid, null);
  });
  depthInput.addEventListener("change", function () {
    if (!current.uid) return;
    selectInput.value = focusSelector(current.uid, Math.max(0, +depthInput.value || 0));
    if (drawSelector(selectInput.value)) highlight(current.uid, null);
  });
  document.getElementById("graph-all").addEventListener("click", function () {
    selectInput.value = ""; selectNote.textContent = "";
    showWhole();
    if (current.uid) { highlight(current.uid, null); reveal(current.uid); }
  });
  document.getElementById("graph-full").addEventListener("click", function () {
    location.hash = current.graph !== null ? (current.back || "#") : "#!/graph/" + encodeURIComponent(selectInput.value.trim());
  });

  /* ---------- the last run: a class per node of the drawing, a line on each page ---------- */
  function runOf(uid) {
    var entry = NODES[uid] && NODES[uid].last_run;
    return entry && entry.run ? entry.run : null;
  }
  function statusClass(status) { return "status-" + String(status).replace(/\s+/g, "-"); }
  function markRunStatus() {
    if (!D.run) return;
    drawing().querySelectorAll(".node").forEach(function (group) {
      var run = runOf(group.getAttribute("data-uid"));
      if (run) group.classList.add("run-" + String(run.status).replace(/\s+/g, "-"));
    });
  }
  function seconds(value) { return typeof value === "number" ? value.toFixed(value < 10 ? 2 : 1) + " s" : ""; }
  function runLine(node) {
    var entry = node.last_run || {};
    var parts = [];
    if (entry.run) {
      var run = entry.run;
      parts.push(el("p", { className: "run-line", id: "last-run" }, [
        "Last run: ", el("span", { className: "status " + statusClass(run.status), text: run.status }),
        run.execution_time !== null && run.execution_time !== undefined ? " in " + seconds(run.execution_time) : "",
        typeof run.rows === "number" ? " · " + run.rows.toLocaleString("en") + " rows" : "",
        run.completed_at ? " · " + run.completed_at : "",
      ]));
      if (run.message && run.status !== "success") parts.push(el("pre", { className: "run-message", text: run.message }));
    } else if (D.run) {
      parts.push(el("p", { className: "run-line meta", id: "last-run", text: "Not in the last run." }));
    }
    if (entry.freshness) {
      var f = entry.freshness;
      parts.push(el("p", { className: "run-line" }, ["Freshness: ", el("span", { className: "status " + statusClass(f.status), text: f.status }),
        f.max_loaded_at ? " · newest row " + f.max_loaded_at : "", f.checked_at ? " · checked " + f.checked_at : "",
        f.message ? " · " + f.message : ""]));
    }
    if (entry.tests && entry.tests.length) {
      parts.push(el("table", { className: "columns run-tests", id: "test-results" }, [
        el("thead", {}, [el("tr", {}, ["Test", "Column", "Status", "Time", "Failing rows"].map(function (h) { return el("th", { text: h }); }))]),
        el("tbody", {}, entry.tests.map(function (test) {
          return el("tr", {}, [el("td", { text: test.name }), el("td", { text: test.column || "" }),
            el("td", {}, [el("span", { className: "status " + statusClass(test.status), text: test.status })]),
            el("td", { text: seconds(test.execution_time) }), el("td", { text: test.failures ? String(test.failures) : "" })]);
        })),
      ]));
    }
    return parts;
  }

  /* ---------- graph: highlight a node's ancestors and descendants (or a column's lineage) ---------- */
  function highlight(uid, lineageNodes) {
    var ups = uid ? closure(uid, "parents") : {}, downs = uid ? closure(uid, "children") : {};
    if (lineageNodes) {  // a column is open: only the nodes its lineage passes through stay lit
      [ups, downs].forEach(function (set) {
        Object.keys(set).forEach(function (id) { if (!lineageNodes[id]) delete set[id]; });
      });
    }
    drawing().querySelectorAll(".node").forEach(function (group) {
      var id = group.getAttribute("data-uid");
      group.classList.toggle("selected", id === uid);
      group.classList.toggle("ancestor", !lineageNodes && !!ups[id]);
      group.classList.toggle("descendant", !lineageNodes && !!downs[id]);
      group.classList.toggle("in-lineage", !!(lineageNodes && id !== uid && (ups[id] || downs[id])));
      group.classList.toggle("dimmed", !!uid && id !== uid && !ups[id] && !downs[id]);
    });
    drawing().querySelectorAll(".edge").forEach(function (edge) {
      var from = edge.getAttribute("data-from"), to = edge.getAttribute("data-to");
      var up = !!uid && (to === uid || ups[to]) && ups[from];
      var down = !!uid && (from === uid || downs[from]) && downs[to];
      edge.classList.toggle("lit-up", !!up);
      edge.classList.toggle("lit-down", !!down);
      edge.classList.toggle("dimmed", !!uid && !up && !down);
    });
  }

  /* ---------- column lineage ---------- */
  var downstreamIndex = {}, filterIndex = {};
  Object.keys(NODES).forEach(function (uid) {
    NODES[uid].columns.forEach(function (column) {
      column.upstream.forEach(function (ref) {
        var key = ref.node + "\u0000" + ref.column;
        (downstreamIndex[key] = downstreamIndex[key] || []).push({ node: uid, column: column.name });
      });
    });
    (NODES[uid].filters || []).forEach(function (ref) {  // read only in WHERE / JOIN / GROUP BY / HAVING
      var key = ref.node + "\u0000" + ref.column;
      (filterIndex[key] = filterIndex[key] || []).push({ node: uid, clauses: ref.clauses });
    });
  });
  var MARKS = [["=", "copied", "the value of one upstream column, unchanged (perhaps renamed)"],
               ["ƒ", "derived", "computed by an expression, an aggregate or from several columns"],
               ["~", "filter", "read only to filter, join or group rows (WHERE / JOIN / GROUP BY / HAVING): no column derives from it"]];
  function markOf(ref) {
    var node = NODES[ref.node], column = columnOf(ref.node, ref.column);
    if (!node || !column || node.resource_type === "seed" || node.resource_type === "source") return null;
    if (!column.upstream.length) return null;
    return column.transformed ? MARKS[1] : MARKS[0];
  }
  function markSpan(mark) {
    return el("span", { className: "mark mark-" + mark[1], text: mark[0], title: mark[1] + ": " + mark[2] });
  }
  function marksLegend() {
    return el("p", { className: "meta marks-legend" }, ["Marks: "].concat(MARKS.map(function (mark) {
      return el("span", { className: "legend-item" }, [markSpan(mark), " " + mark[1] + ": " + mark[2] + ". "]);
    })));
  }
  var COLLAPSE_DEPTH = 3, COLLAPSE_SIZE = 40;  // large trees open only their first levels
  function columnOf(uid, name) {
    var node = NODES[uid];
    if (!node) return null;
    var lower = name.toLowerCase();
    for (var i = 0; i < node.columns.length; i++) if (node.columns[i].name.toLowerCase() === lower) return node.columns[i];
    return null;
  }
  function lineageTree(ref, next, seen, involved, depth, state) {
    var key = ref.node + "\u0000" + ref.column;
    involved[ref.node] = true;
    state.count++;
    var column = columnOf(ref.node, ref.column);
    var mark = markOf(ref);
    var head = el("span", { className: "tree-head" }, [mark ? markSpan(mark) : el("span", { className: "mark" }), link(ref.node, ref.column, null)]);
    head.lastChild.className = "col-ref";
    if (column && column.data_type) head.appendChild(el("span", { className: "meta", text: "  " + column.data_type }));
    var item = el("li", {}, [head]);
    var children = next(ref);
    var filters = next === downstreamOf ? byName(filterIndex[key] || []) : [];
    if (seen[key] && (children.length || filters.length)) {
      item.appendChild(el("span", { className: "seen", text: "  (shown above)" }));
      return item;
    }
    seen[key] = true;
    var ul = el("ul", { className: "tree" });
    if (column) column.unresolved.forEach(function (reason) {
      if (next === upstreamOf) ul.appendChild(el("li", {}, [el("span", { className: "warn", text: "? " + reason })]));
    });
    children.forEach(function (child) { ul.appendChild(lineageTree(child, next, seen, involved, depth + 1, state)); });
    filters.forEach(function (use) {
      involved[use.node] = true;
      ul.appendChild(el("li", { className: "filter-use" }, [markSpan(MARKS[2]), link(use.node, null, null),
        el("span", { className: "meta", text: "  reads it in " + use.clauses.map(function (c) { return c.toUpperCase(); }).join(", ") })]));
    });
    if (!ul.childNodes.length) return item;
    // <details>: every level with children folds; deep levels of a large tree start folded
    var fold = el("details", { className: "fold" }, [el("summary", {}, [head]), ul]);
    fold.open = true;
    state.folds.push({ fold: fold, depth: depth });
    item.appendChild(fold);
    return item;
  }
  function foldTree(state) {
    if (state.count <= COLLAPSE_SIZE) return;
    state.folds.forEach(function (f) { if (f.depth >= COLLAPSE_DEPTH) f.fold.open = false; });
  }
  function treeTools(holder) {
    var setAll = function (open) { holder.querySelectorAll("details.fold").forEach(function (d) { d.open = open; }); };
    var expand = el("button", { type: "button", text: "Expand all" }), collapse = el("button", { type: "button", text: "Collapse all" });
    expand.addEventListener("click", function () { setAll(true); });
    collapse.addEventListener("click", function () { setAll(false); });
    return el("span", { className: "tree-tools" }, [expand, collapse]);
  }
  function byName(refs) {  // natural order of node names, then of columns
    return refs.slice().sort(function (a, b) {
      var x = NODES[a.node], y = NODES[b.node];
      return naturalCompare(x ? x.name : a.node, y ? y.name : b.node) || naturalCompare(a.column || "", b.column || "");
    });
  }
  function upstreamOf(ref) {
    var column = columnOf(ref.node, ref.column);
    return column ? byName(column.upstream) : [];
  }
  function downstreamOf(ref) {
    return byName(downstreamIndex[ref.node + "\u0000" + ref.column] || []);
  }

  function columnLineage(uid, name, involved) {
    var ref = { node: uid, column: name };
    var upState = { count: 0, folds: [] }, downState = { count: 0, folds: [] };
    var up = el("ul", { className: "tree" }, [lineageTree(ref, upstreamOf, {}, involved, 0, upState)]);
    var down = el("ul", { className: "tree" }, [lineageTree(ref, downstreamOf, {}, involved, 0, downState)]);
    foldTree(upState); foldTree(downState);
    var column = columnOf(uid, name);
    var none = column && !column.upstream.length && !column.unresolved.length && NODES[uid].resource_type === "model";
    var key = uid + "\u0000" + name;
    var unused = !downstreamOf(ref).length && !(filterIndex[key] || []).length;
    var holder = el("div", { className: "lineage", id: "column-lineage" }, [
      el("div", {}, [el("h3", { text: "Derives from (down to seeds and sources)" }), up,
                     none ? el("p", { className: "meta", text: "No upstream column: a constant, or a count of rows." }) : null]),
      el("div", {}, [el("h3", { text: "Used by" }), down,
                     unused ? el("p", { className: "meta", text: "No other model reads it." }) : null]),
    ]);
    return el("div", {}, [el("div", { className: "lineage-head" }, [marksLegend(), treeTools(holder)]), holder]);
  }

  /* ---------- SQL display with light highlighting ---------- */
  var KEYWORDS = /^(select|from|where|group|by|order|having|join|left|right|full|inner|outer|cross|on|as|and|or|not|in|is|null|case|when|then|else|end|with|union|all|distinct|over|partition|rows|between|unbounded|preceding|following|current|row|limit|cast|lateral|view|insert|overwrite|table|true|false|desc|asc|like|rlike|exists)$/i;
  function sqlBlock(text) {
    var pre = el("pre", { className: "sql" });
    var code = el("code");
    var pattern = /(\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\})|(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^'\\]|\\.)*')|([A-Za-z_][A-Za-z0-9_]*)/g;
    var last = 0, match;
    while ((match = pattern.exec(text))) {
      if (match.index > last) code.appendChild(document.createTextNode(text.slice(last, match.index)));
      var cls = match[1] ? "jinja" : match[2] ? "cm" : match[3] ? "str" : KEYWORDS.test(match[4]) ? "kw" : null;
      code.appendChild(cls ? el("span", { className: cls, text: match[0] }) : document.createTextNode(match[0]));
      last = pattern.lastIndex;
    }
    code.appendChild(document.createTextNode(text.slice(last)));
    pre.appendChild(code);
    return pre;
  }
  function sqlTabs(node) {
    var views = [];
    if (node.compiled_sql) views.push(["Compiled SQL (" + D.dialect + ")", node.compiled_sql]);
    if (node.raw_sql) views.push(["Source (" + node.path + ")", node.raw_sql]);
    if (!views.length) return null;
    var holder = el("div", { id: "sql" });
    var tabs = el("div", { className: "tabs", role: "tablist" });
    var body = el("div");
    views.forEach(function (view, index) {
      var button = el("button", { type: "button", role: "tab", text: view[0] });
      button.addEventListener("click", function () {
        tabs.querySelectorAll("button").forEach(function (b) { b.classList.remove("active"); });
        button.classList.add("active");
        body.textContent = "";
        body.appendChild(sqlBlock(view[1]));
      });
      tabs.appendChild(button);
      if (index === 0) { button.classList.add("active"); body.appendChild(sqlBlock(view[1])); }
    });
    holder.appendChild(tabs);
    holder.appendChild(body);
    return holder;
  }

  /* ---------- pages ---------- */
  function columnsTable(node, selected) {
    var rows = node.columns.map(function (column) {
      var from = el("td", { className: "from" });
      var mark = markOf({ node: node.unique_id, column: column.name });
      if (mark) from.appendChild(markSpan(mark));
      column.upstream.forEach(function (ref, index) {
        if (index) from.appendChild(document.createTextNode(", "));
        from.appendChild(link(ref.node, ref.column, null));
      });
      if (column.upstream.length && !column.transformed) from.appendChild(el("span", { className: "op", text: " (copy)" }));
      if (!column.upstream.length && !column.unresolved.length && node.resource_type === "model") {
        from.appendChild(el("span", { className: "const", text: "no upstream column (constant or count)" }));
      }
      column.unresolved.forEach(function (reason) {
        from.appendChild(el("div", {}, [el("span", { className: "warn", text: "? " + reason })]));
      });
      var tests = el("td", {}, column.tests.map(function (name) { return el("span", { className: "test", text: name }); }));
      var row = el("tr", { id: "col-" + column.name }, [
        el("td", {}, [el("a", { href: nodeHref(node.unique_id, column.name), text: column.name, title: "Show this column's lineage" })]),
        el("td", { className: "type", text: column.data_type || "" }),
        el("td", { text: column.description || "" }),
        tests,
        from,
      ]);
      if (selected && column.name.toLowerCase() === selected.toLowerCase()) row.className = "current";
      return row;
    });
    return el("table", { className: "columns" }, [
      el("thead", {}, [el("tr", {}, ["Column", "Type", "Description", "Tests", "Derives from"].map(function (h) {
        return el("th", { text: h });
      }))]),
      el("tbody", {}, rows),
    ]);
  }

  function linkList(title, uids) {
    return el("div", {}, [
      el("h3", { text: title + " (" + uids.length + ")" }),
      uids.length ? el("ul", {}, uids.map(function (uid) { return el("li", {}, [link(uid)]); }))
                  : el("p", { className: "meta", text: "none" }),
    ]);
  }

  function showNode(uid, columnName) {
    var node = NODES[uid];
    details.textContent = "";
    if (!node) {
      details.appendChild(el("p", { className: "warn", text: "No node " + uid + " in these docs." }));
      highlight(null);
      return;
    }
    var badges = el("div", { className: "badges" }, [
      el("span", { className: "badge", text: node.resource_type }),
      node.materialized && node.resource_type === "model" ? el("span", { className: "badge", text: node.materialized }) : null,
      el("span", { className: "badge layer", text: "layer " + node.layer }),
    ].concat(node.tags.map(function (tag) { return el("span", { className: "badge", text: "#" + tag }); })));
    details.appendChild(el("div", { className: "node-head" }, [el("h1", { id: "node-title", text: node.name }), badges]));
    details.appendChild(el("div", { className: "meta" }, [
      node.relation ? el("span", {}, ["relation ", el("code", { text: node.relation }), " · "]) : el("span", { text: "ephemeral: inlined as a CTE · " }),
      el("span", {}, ["defined in ", el("code", { text: node.path })]),
    ]));
    if (node.description) details.appendChild(el("p", { className: "description", text: node.description }));
    runLine(node).forEach(function (part) { details.appendChild(part); });
    if (node.tests.length) {
      details.appendChild(el("p", {}, ["Tests: "].concat(node.tests.map(function (t) { return el("span", { className: "test", text: t }); }))));
    }

    var involved = {};
    var column = columnName ? columnOf(uid, columnName) : null;
    if (column) {
      details.appendChild(el("h2", { text: "Column lineage: " + node.name + "." + column.name }));
      details.appendChild(columnLineage(uid, column.name, involved));
    }
    details.appendChild(el("h2", { text: "Columns (" + node.columns.length + ")" }));
    if (node.columns_unresolved) details.appendChild(el("p", {}, [el("span", { className: "warn", text: "? " + node.columns_unresolved })]));
    details.appendChild(columnsTable(node, column && column.name));
    if (node.columns.some(function (c) { return c.upstream.length; })) details.appendChild(marksLegend());
    if (node.filters && node.filters.length) {
      details.appendChild(el("p", { className: "meta", id: "filter-reads" }, ["Also reads, only to filter, join or group rows: "].concat(
        node.filters.map(function (ref, index) {
          return el("span", {}, [index ? ", " : "", markSpan(MARKS[2]), link(ref.node, ref.column, null),
                                 " (" + ref.clauses.map(function (c) { return c.toUpperCase(); }).join(", ") + ")"]);
        }))));
    }
    details.appendChild(el("div", { className: "links" }, [linkList("Upstream", node.parents), linkList("Downstream", node.children)]));
    var sql = sqlTabs(node);
    if (sql) {
      details.appendChild(el("h2", { text: "SQL" }));
      details.appendChild(sql);
    }
    drawAround(uid);
    highlight(uid, column ? involved : null);
    reveal(uid);
    details.scrollTop = 0;
  }
  function drawAround(uid) {
    // Large projects: the node's neighbourhood (N levels up and down). Small ones: the whole DAG,
    // unless the user's selector already draws this node.
    var large = Object.keys(NODES).length >= FOCUS_MIN_NODES;
    if (large) {
      selectInput.value = focusSelector(uid, Math.max(0, +depthInput.value || 0));
      drawSelector(selectInput.value);
    } else if (drawnKey !== null && !drawing().querySelector('.node[data-uid="' + cssEscape(uid) + '"]')) {
      selectInput.value = "";
      selectNote.textContent = "";
      showWhole();
    }
  }

  function showOverview() {
    details.textContent = "";
    var count = Object.keys(NODES).length;
    details.appendChild(el("h1", { text: D.project }));
    details.appendChild(el("p", { className: "meta", text: count + " nodes in " + D.layers.length + " layers · models in " + D.dialect + " SQL · elt " + D.elt_version }));
    if (D.overview) details.appendChild(el("p", { className: "description overview", text: D.overview }));
    details.appendChild(el("p", { text: "Click a node in the graph or a name on the left to open it; click a column to see its lineage." }));
    lastRunSummary().forEach(function (part) { details.appendChild(part); });
    details.appendChild(el("h2", { text: "Layers, in pipeline order" }));
    details.appendChild(el("div", { className: "overview-layers" }, D.layers.map(function (layer) {
      var swatch = el("span", { className: "swatch" });
      swatch.style.background = layer.colour;
      var shown = layer.nodes.slice(0, CARD_LIMIT);
      return el("div", { className: "card" }, [el("h3", {}, [swatch, " " + layer.name + " (" + layer.nodes.length + ")"]),
        el("ul", {}, shown.map(function (uid) { return el("li", {}, [link(uid)]); })),
        layer.nodes.length > shown.length ? el("p", { className: "meta", text: "and " + (layer.nodes.length - shown.length) + " more in the list on the left" }) : null]);
    })));
    if (drawnKey !== null) { selectInput.value = ""; showWhole(); }
    highlight(null);
  }
  var CARD_LIMIT = 25;
  function lastRunSummary() {
    var parts = [];
    (D.run_notes || []).forEach(function (note) { parts.push(el("p", {}, [el("span", { className: "warn", text: note })])); });
    if (!D.run) {
      parts.push(el("p", { className: "meta", id: "run-summary", text: "No run recorded: `elt run` or `elt build` writes target/run_results.json; generate the docs after it to see its results here." }));
      return parts;
    }
    var run = D.run;
    var counts = Object.keys(run.counts).map(function (status) {
      return el("span", { className: "status " + statusClass(status), text: run.counts[status] + " " + status });
    });
    parts.push(el("h2", { text: "Last run" }));
    parts.push(el("p", { id: "run-summary" }, ["`elt " + (run.command || "?") + "`" + (run.target ? " on " + run.target : "") +
      (run.generated_at ? ", " + run.generated_at : "") + (run.elapsed_time !== null && run.elapsed_time !== undefined ? ", " + seconds(run.elapsed_time) : "") +
      (run.finished === false ? " (did not finish)" : "") + ": "].concat(counts.reduce(function (all, item, i) {
        return all.concat(i ? [" · ", item] : [item]);
      }, []))));
    var boxes = [];
    if (run.slowest.length) {
      boxes.push(el("div", { className: "card", id: "slowest" }, [el("h3", { text: "Slowest models" }),
        el("ol", {}, run.slowest.map(function (item) {
          return el("li", {}, [link(item.unique_id), el("span", { className: "meta", text: "  " + seconds(item.execution_time) })]);
        }))]));
    }
    boxes.push(el("div", { className: "card", id: "failed-tests" }, [el("h3", { text: "Failed tests (" + run.failed_tests.length + ")" }),
      run.failed_tests.length ? el("ul", {}, run.failed_tests.map(function (test) {
        return el("li", {}, [el("span", { className: "status " + statusClass(test.status), text: test.status }), " " + test.name + " on ",
          test.attached_to ? link(test.attached_to, test.column, null) : el("span", { text: "?" }),
          test.failures ? el("span", { className: "meta", text: "  " + test.failures + " failing rows" }) : null]);
      })) : el("p", { className: "meta", text: "none" })]));
    parts.push(el("div", { className: "overview-layers" }, boxes));
    return parts;
  }

  /* ---------- routing ---------- */
  var current = { uid: null, column: null, graph: null, back: null };
  var lastPage = "#";
  function route() {
    var match = /^#!\/node\/([^/]+)(?:\/(.+))?$/.exec(location.hash);
    var graph = /^#!\/graph(?:\/(.*))?$/.exec(location.hash);
    current = match ? { uid: decodeURIComponent(match[1]), column: match[2] ? decodeURIComponent(match[2]) : null, graph: null }
                    : { uid: null, column: null, graph: graph ? decodeURIComponent(graph[1] || "") : null };
    current.back = lastPage;
    document.body.classList.toggle("graph-page", current.graph !== null);
    document.getElementById("graph-full").textContent = current.graph !== null ? "Back" : "Full screen";
    if (current.graph !== null) {
      selectInput.value = current.graph;
      details.textContent = "";
      drawSelector(current.graph);
      fit();  // the pane has grown to the whole window
      highlight(null);
    } else {
      lastPage = location.hash || "#";
      if (current.uid) showNode(current.uid, current.column);
      else showOverview();
    }
    renderList();
  }
  window.addEventListener("hashchange", route);
  window.addEventListener("resize", function () { measurePane(); applyView(); });
  markRunStatus();
  fit();
  route();
  // For tests and bench/docs_site.py: the page is drawn and its handlers are set.
  window.ELT_READY_MS = performance.now();
  window.ELT_SCRIPT_MS = window.ELT_READY_MS - STARTED_MS;
  document.documentElement.setAttribute("data-ready", "1");
})();
