/* elt docs site: model list, search, pan/zoom DAG, model pages and column lineage.
 * Plain browser JavaScript, no library and no network: the data comes from data.js (window.ELT_DOCS),
 * the graph is the SVG drawn by `elt docs generate`. Routes live in the URL hash:
 *   #!/node/<unique id>            a model, seed or source
 *   #!/node/<unique id>/<column>   ... with one column's lineage opened
 * Every text from the project is inserted with textContent, never as HTML. */
(function () {
  "use strict";

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

  function matches(node, query) {
    if (!query) return true;
    if (node.name.toLowerCase().indexOf(query) >= 0) return true;
    if ((node.description || "").toLowerCase().indexOf(query) >= 0) return true;
    return node.columns.some(function (c) { return c.name.toLowerCase().indexOf(query) >= 0; });
  }

  function renderList() {
    var query = search.value.trim().toLowerCase();
    list.textContent = "";
    var shown = 0;
    D.layers.forEach(function (layer) {
      var items = layer.nodes.filter(function (uid) { return matches(NODES[uid], query); });
      if (!items.length) return;
      shown += items.length;
      var swatch = el("span", { className: "swatch" });
      swatch.style.background = layer.colour;
      var ul = el("ul", {}, items.map(function (uid) {
        var node = NODES[uid];
        var a = el("a", { href: nodeHref(uid), "data-uid": uid },
                   [el("span", { text: node.name }), el("span", { className: "kind", text: node.materialized || node.resource_type })]);
        if (uid === current.uid) a.className = "current";
        return el("li", {}, [a]);
      }));
      list.appendChild(el("div", { className: "layer-group" },
        [el("h3", {}, [swatch, layer.name + " (" + items.length + ")"]), ul]));
    });
    if (!shown) list.appendChild(el("div", { className: "no-match", text: "Nothing matches “" + search.value + "”." }));
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

  function applyView() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
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
    var rect = svg.getBoundingClientRect();
    var scale = Math.min(rect.width / full.w, rect.height / full.h, MAX_FIT_SCALE) || 1;
    var w = rect.width / scale || full.w, h = rect.height / scale || full.h;
    view = { x: full.x - (w - full.w) / 2, y: full.y - (h - full.h) / 2, w: w, h: h };
    applyView();
  }
  function reveal(uid) {
    var group = svg.querySelector('.node[data-uid="' + cssEscape(uid) + '"]');
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

  /* ---------- graph: highlight a node's ancestors and descendants (or a column's lineage) ---------- */
  function highlight(uid, lineageNodes) {
    var ups = uid ? closure(uid, "parents") : {}, downs = uid ? closure(uid, "children") : {};
    if (lineageNodes) {  // a column is open: only the nodes its lineage passes through stay lit
      [ups, downs].forEach(function (set) {
        Object.keys(set).forEach(function (id) { if (!lineageNodes[id]) delete set[id]; });
      });
    }
    svg.querySelectorAll(".node").forEach(function (group) {
      var id = group.getAttribute("data-uid");
      group.classList.toggle("selected", id === uid);
      group.classList.toggle("ancestor", !lineageNodes && !!ups[id]);
      group.classList.toggle("descendant", !lineageNodes && !!downs[id]);
      group.classList.toggle("in-lineage", !!(lineageNodes && id !== uid && (ups[id] || downs[id])));
      group.classList.toggle("dimmed", !!uid && id !== uid && !ups[id] && !downs[id]);
    });
    svg.querySelectorAll(".edge").forEach(function (edge) {
      var from = edge.getAttribute("data-from"), to = edge.getAttribute("data-to");
      var up = !!uid && (to === uid || ups[to]) && ups[from];
      var down = !!uid && (from === uid || downs[from]) && downs[to];
      edge.classList.toggle("lit-up", !!up);
      edge.classList.toggle("lit-down", !!down);
      edge.classList.toggle("dimmed", !!uid && !up && !down);
    });
  }

  /* ---------- column lineage ---------- */
  var downstreamIndex = {};
  Object.keys(NODES).forEach(function (uid) {
    NODES[uid].columns.forEach(function (column) {
      column.upstream.forEach(function (ref) {
        var key = ref.node + "\u0000" + ref.column;
        (downstreamIndex[key] = downstreamIndex[key] || []).push({ node: uid, column: column.name });
      });
    });
  });
  function columnOf(uid, name) {
    var node = NODES[uid];
    if (!node) return null;
    var lower = name.toLowerCase();
    for (var i = 0; i < node.columns.length; i++) if (node.columns[i].name.toLowerCase() === lower) return node.columns[i];
    return null;
  }
  function lineageTree(ref, next, seen, involved) {
    var key = ref.node + "\u0000" + ref.column;
    involved[ref.node] = true;
    var column = columnOf(ref.node, ref.column);
    var item = el("li", {}, [link(ref.node, ref.column, null)]);
    item.firstChild.className = "col-ref";
    if (column && column.data_type) item.appendChild(el("span", { className: "meta", text: "  " + column.data_type }));
    var children = next(ref);
    if (seen[key] && children.length) {
      item.appendChild(el("span", { className: "seen", text: "  (shown above)" }));
      return item;
    }
    seen[key] = true;
    var ul = el("ul", { className: "tree" });
    if (column) column.unresolved.forEach(function (reason) {
      if (next === upstreamOf) ul.appendChild(el("li", {}, [el("span", { className: "warn", text: "? " + reason })]));
    });
    children.forEach(function (child) { ul.appendChild(lineageTree(child, next, seen, involved)); });
    if (ul.childNodes.length) item.appendChild(ul);
    return item;
  }
  function upstreamOf(ref) {
    var column = columnOf(ref.node, ref.column);
    return column ? column.upstream : [];
  }
  function downstreamOf(ref) {
    return downstreamIndex[ref.node + "\u0000" + ref.column] || [];
  }

  function columnLineage(uid, name, involved) {
    var ref = { node: uid, column: name };
    var up = el("ul", { className: "tree" }, [lineageTree(ref, upstreamOf, {}, involved)]);
    var down = el("ul", { className: "tree" }, [lineageTree(ref, downstreamOf, {}, involved)]);
    var column = columnOf(uid, name);
    var none = column && !column.upstream.length && !column.unresolved.length && NODES[uid].resource_type === "model";
    return el("div", { className: "lineage", id: "column-lineage" }, [
      el("div", {}, [el("h3", { text: "Derives from (down to seeds and sources)" }), up,
                     none ? el("p", { className: "meta", text: "No upstream column: a constant, or a count of rows." }) : null]),
      el("div", {}, [el("h3", { text: "Used by" }), down,
                     downstreamOf(ref).length ? null : el("p", { className: "meta", text: "No column of another model reads it." })]),
    ]);
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
    details.appendChild(el("div", { className: "links" }, [linkList("Upstream", node.parents), linkList("Downstream", node.children)]));
    var sql = sqlTabs(node);
    if (sql) {
      details.appendChild(el("h2", { text: "SQL" }));
      details.appendChild(sql);
    }
    highlight(uid, column ? involved : null);
    reveal(uid);
    details.scrollTop = 0;
  }

  function showOverview() {
    details.textContent = "";
    var count = Object.keys(NODES).length;
    details.appendChild(el("h1", { text: D.project }));
    details.appendChild(el("p", { className: "meta", text: count + " nodes in " + D.layers.length + " layers · models in " + D.dialect + " SQL · elt " + D.elt_version }));
    if (D.overview) details.appendChild(el("p", { className: "description overview", text: D.overview }));
    details.appendChild(el("p", { text: "Click a node in the graph or a name on the left to open it; click a column to see its lineage." }));
    details.appendChild(el("div", { className: "overview-layers" }, D.layers.map(function (layer) {
      var swatch = el("span", { className: "swatch" });
      swatch.style.background = layer.colour;
      return el("div", { className: "card" }, [el("h3", {}, [swatch, " " + layer.name]),
        el("ul", {}, layer.nodes.map(function (uid) { return el("li", {}, [link(uid)]); }))]);
    })));
    highlight(null);
  }

  /* ---------- routing ---------- */
  var current = { uid: null, column: null };
  function route() {
    var match = /^#!\/node\/([^/]+)(?:\/(.+))?$/.exec(location.hash);
    current = match ? { uid: decodeURIComponent(match[1]), column: match[2] ? decodeURIComponent(match[2]) : null }
                    : { uid: null, column: null };
    if (current.uid) showNode(current.uid, current.column);
    else showOverview();
    renderList();
  }
  window.addEventListener("hashchange", route);
  fit();
  route();
})();
