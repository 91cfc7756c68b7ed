// The report page: tables and Vega-Lite charts from the embedded data, and the network drawn
// by sigma.js (WebGL) from a graphology graph. Everything it needs is in this file's page.
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const fmt = new Intl.NumberFormat("en-US");
  const n = (value) => (value === null || value === undefined ? "–" : fmt.format(value));
  const $ = (id) => document.getElementById(id);
  const PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#9edae5", "#dbdb8d", "#637939",
  ];
  const OTHER = "#b4b4b4";
  const colourOf = (community) =>
    community !== null && community < PALETTE.length ? PALETTE[community] : OTHER;

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key === "style") node.style.cssText = value;
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  function fillTable(table, head, rows) {
    // head: [[label, numeric?]]; rows: arrays of cells (numbers are formatted, right-aligned).
    table.replaceChildren(
      element("thead", {}, element("tr", {}, head.map(([label, num]) =>
        element("th", num ? { class: "n" } : {}, label)))),
      element("tbody", {}, rows.map((row) => element("tr", {}, row.map((cell, i) =>
        head[i][1] ? element("td", { class: "n" }, typeof cell === "number" ? n(cell) : cell)
                   : element("td", {}, cell ?? "–"))))),
    );
  }

  // Column arrays ({a: [...], b: [...]}) to rows ([{a, b}, ...]) for Vega-Lite.
  function rows(columns) {
    const names = Object.keys(columns);
    const length = names.length ? columns[names[0]].length : 0;
    return Array.from({ length }, (_, i) =>
      Object.fromEntries(names.map((name) => [name, columns[name][i]])));
  }

  const embeds = [];
  function chart(id, spec) {
    const full = { $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: { font: "system-ui, sans-serif", view: { stroke: null } }, ...spec };
    embeds.push(vegaEmbed("#" + id, full, { actions: false, renderer: "svg" }));
  }

  // Two people may share a name: the charts' categories must not merge them.
  function labels(names, ids) {
    const seen = new Map();
    names.forEach((name) => seen.set(name, (seen.get(name) || 0) + 1));
    return names.map((name, i) => (seen.get(name) > 1 ? `${name} (#${ids[i]})` : name ?? `#${ids[i]}`));
  }

  // --- the collection -------------------------------------------------------------------------

  function collection() {
    const c = data.collection;
    $("generated").textContent =
      `Generated ${data.generated} by tmdb-collector ${data.version} from ${c.store}.`;
    const kinds = Object.entries(c.kinds);
    fillTable($("kinds"),
      [["kind"], ["ids", 1], ["pending", 1], ["ok", 1], ["gone", 1], ["failed", 1],
       ["export day"], ["synced through"], ["last sync"]],
      kinds.map(([kind, k]) => [kind, k.ids, k.states.pending, k.states.ok, k.states.gone,
        k.states.failed, k.export_day, k.watermark,
        k.last_sync ? `${k.last_sync.finished}: ${k.last_sync.outcome}, ${n(k.last_sync.days)} days read, `
          + `${n(k.last_sync.fetched)} ids fetched (${n(k.last_sync.new)} new)` : null]));
    const failures = kinds.filter(([, k]) => Object.keys(k.failed_by_cause).length);
    $("failures").replaceChildren(failures.length
      ? element("p", {}, "Failed ids by last cause: ", failures.map(([kind, k]) =>
          `${kind}s: ` + Object.entries(k.failed_by_cause).sort()
            .map(([cause, count]) => `${cause} ${n(count)}`).join(", ")).join("; "))
      : element("p", { class: "note" }, "No failed ids."));
    const runs = c.runs;
    fillTable($("runs"),
      [["finished (UTC)"], ["kind"], ["outcome"], ["requests", 1], ["seconds", 1],
       ["requests/s", 1], ["429s", 1], ["ok", 1], ["gone", 1], ["failed", 1]],
      runs.slice().reverse().map((r) => [r.finished, r.kind, r.outcome, r.requests, r.seconds,
        r.rate, r.throttled, r.ok, r.gone, r.failed]));
    if (!runs.length) {
      $("chart-runs").replaceChildren(element("p", { class: "note" }, "No run recorded."));
      return;
    }
    const small = (field, title) => ({
      width: 300, height: 160, mark: { type: "point", filled: true, size: 70 },
      encoding: {
        x: { field: "finished", type: "temporal", title: "finished" },
        y: { field, type: "quantitative", title },
        color: { field: "kind", type: "nominal" },
        tooltip: [{ field: "finished" }, { field: "kind" }, { field: "requests", format: "," },
          { field: "rate", title: "requests/s" }, { field: "throttled", title: "429s" }],
      },
    });
    chart("chart-runs", { data: { values: runs }, hconcat: [
      small("requests", "requests"), small("rate", "requests/s"), small("throttled", "429s")] });
  }

  // --- the catalog ----------------------------------------------------------------------------

  function catalog() {
    const k = data.catalog;
    const c = k.counts;
    $("catalog-summary").textContent =
      `${n(c.movies)} movies (${n(c.dated)} with a release date), ${n(c.cast)} cast and ` +
      `${n(c.crew)} crew credits naming ${n(c.credited)} people (${n(c.people)} crawled); ` +
      `${n(c.money)} movies with both a budget and a revenue, ${n(c.box_office)} of them in ` +
      `the box-office zone.`;
    chart("chart-years", {
      data: { values: rows(k.per_year) }, width: 520, height: 220,
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: { field: "year", bin: { step: 1 }, title: "year", axis: { format: "d" } },
        y: { field: "movies", aggregate: "sum", title: "movies" },
      },
    });
    money(k);
    chart("chart-genres", {
      data: { values: rows(k.genres_by_decade) }, width: 400, height: 260,
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: { field: "decade", type: "ordinal", title: "decade" },
        y: { field: "movies", type: "quantitative", stack: "normalize", title: "share" },
        color: { field: "genre", type: "nominal", scale: { scheme: "category20" } },
        tooltip: [{ field: "decade" }, { field: "genre" }, { field: "movies", format: "," }],
      },
    });
    topPeople("chart-top-movies", k.top_by_movies, "movies", "movies");
    const costars = data.network.top_by_costars;
    $("costars-caption").textContent =
      `The people with the most co-stars in the network below (${data.network.cut})`;
    topPeople("chart-top-costars", costars, "costars", "co-stars");
  }

  function money(k) {
    const points = rows(k.money);
    const c = k.counts;
    $("money-caption").textContent = `Budget against revenue (log scales; US$): ` +
      (points.length < c.money ? `a fixed sample of ${n(points.length)} of ${n(c.money)} movies; ` : "") +
      `the box-office zone (budget > 1,000, revenue ≥ 10,000,000) shaded`;
    if (!points.length) {
      $("chart-money").replaceChildren(element("p", { class: "note" }, "No movie has both a budget and a revenue."));
      return;
    }
    const top = points.reduce((a, p) => Math.max(a, p.budget, p.revenue), 0) * 2;
    const low = points.reduce((a, p) => Math.min(a, p.budget, p.revenue), Infinity);
    const scale = { type: "log", domain: [Math.max(1, low / 2), top] };
    const powers = Array.from({ length: 13 }, (_, i) => 10 ** i)
      .filter((v) => v >= scale.domain[0] && v <= top);
    const axis = (title) => ({ title, format: "~s", values: powers });
    chart("chart-money", {
      width: 520, height: 320,
      layer: [
        { data: { values: [{ b0: 1000, b1: top, r0: 1e7, r1: top }] },
          mark: { type: "rect", color: "#2ca02c", opacity: 0.1, clip: true },
          encoding: { x: { field: "b0", type: "quantitative", scale, axis: axis("budget") },
            x2: { field: "b1" }, y: { field: "r0", type: "quantitative", scale, axis: axis("revenue") },
            y2: { field: "r1" } } },
        { data: { values: points }, mark: { type: "point", filled: true, size: 14, opacity: 0.55 },
          encoding: {
            x: { field: "budget", type: "quantitative", scale, axis: axis("budget") },
            y: { field: "revenue", type: "quantitative", scale, axis: axis("revenue") },
            color: { condition: { test: "datum.budget > 1000 && datum.revenue >= 10000000",
              value: "#1f77b4" }, value: "#999" },
            tooltip: [{ field: "title" }, { field: "year" }, { field: "budget", format: "," },
              { field: "revenue", format: "," }] } },
      ],
    });
  }

  function topPeople(id, columns, field, title) {
    if (!columns.id.length) {
      $(id).replaceChildren(element("p", { class: "note" }, "Nobody yet."));
      return;
    }
    const values = rows(columns);
    const names = labels(columns.name, columns.id);
    values.forEach((row, i) => { row.label = names[i]; });
    chart(id, {
      data: { values }, width: 440, height: { step: 16 },
      mark: { type: "bar", tooltip: true },
      encoding: {
        y: { field: "label", type: "nominal", sort: null, title: null },
        x: { field, type: "quantitative", title },
      },
    });
  }

  // --- the network ----------------------------------------------------------------------------

  function network() {
    const net = data.network;
    const nodes = net.nodes;
    const edges = net.edges;
    const t = net.total;
    $("network-summary").textContent =
      `The cut: ${net.cut}. It holds ${n(t.nodes)} people and ${n(t.edges)} links from ` +
      `${n(t.movies)} movies` + (t.communities === null ? "; communities not computed" :
        `, in ${n(t.communities)} communities (Leiden, modularity ${t.modularity})`) +
      `. Drawn: ${n(nodes.id.length)} people and ${n(edges.s.length)} links` +
      (nodes.id.length < t.nodes || edges.s.length < t.edges ? " (the heaviest)" : "") +
      `; colour: community, size: co-stars.` + net.notes.map((note) => ` Note: ${note}.`).join("");
    communityTable(net);
    const graph = new graphology.UndirectedGraph();
    const maxDegree = nodes.degree.reduce((a, b) => Math.max(a, b), 1);
    nodes.id.forEach((id, i) => graph.addNode(String(i), {
      x: nodes.x[i], y: nodes.y[i], label: nodes.name[i] ?? `#${id}`,
      size: 1.5 + 11 * Math.sqrt(nodes.degree[i] / maxDegree), color: colourOf(nodes.community[i]),
    }));
    const maxWeight = edges.w.reduce((a, b) => Math.max(a, b), 1);
    edges.s.forEach((s, i) => graph.addEdge(String(s), String(edges.t[i]), {
      weight: edges.w[i], size: 0.4 + 2 * Math.sqrt((edges.w[i] - 1) / maxWeight),
    }));
    let selected = null;
    let neighbours = new Set();
    const container = $("graph");
    const renderer = new Sigma(graph, container, {
      zIndex: true, labelRenderedSizeThreshold: 9, labelDensity: 0.6,
      defaultEdgeColor: "#d6d6d6", minCameraRatio: 0.02, maxCameraRatio: 4,
      nodeReducer: (node, attrs) => {
        if (selected === null) return attrs;
        if (node === selected) return { ...attrs, highlighted: true, zIndex: 2 };
        if (neighbours.has(node)) return { ...attrs, zIndex: 1, forceLabel: true };
        return { ...attrs, color: "#e9e9e9", label: "", zIndex: 0 };
      },
      edgeReducer: (edge, attrs) => {
        if (selected === null) return attrs;
        return graph.hasExtremity(edge, selected) ? { ...attrs, color: "#555", zIndex: 1 }
          : { ...attrs, hidden: true };
      },
    });
    const frame = new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));

    function select(node, move = true) {
      selected = node;
      neighbours = new Set(node === null ? [] : graph.neighbors(node));
      renderer.refresh({ skipIndexation: true });
      if (node === null) return;
      showPerson(node);
      if (move) {
        const at = renderer.getNodeDisplayData(node);
        renderer.getCamera().animate({ x: at.x, y: at.y, ratio: 0.3 }, { duration: 400 });
      }
    }

    function showPerson(node) {
      const i = Number(node);
      const films = nodes.films[i];
      const collaborators = graph.edges(node)
        .map((edge) => [graph.opposite(node, edge), graph.getEdgeAttribute(edge, "weight")])
        .sort((a, b) => b[1] - a[1] || nodes.degree[b[0]] - nodes.degree[a[0]]).slice(0, 15);
      const community = nodes.community[i];
      $("person").replaceChildren(
        element("h3", {}, nodes.name[i] ?? `#${nodes.id[i]}`),
        element("p", {}, [nodes.department[i], `${n(nodes.movies[i])} movies in the cut`,
          `${n(nodes.degree[i])} co-stars`].filter(Boolean).join(" · "), element("br"),
          element("span", { class: "swatch", style: `background:${colourOf(community)}` }),
          community === null ? "no community" : `community ${community + 1}`,
          ` · TMDb person ${nodes.id[i]}`),
        element("h4", {}, "Movies" + (films.length < nodes.movies[i]
          ? ` (the ${films.length} most recent of ${n(nodes.movies[i])})` : "")),
        element("ol", { id: "person-movies" }, films.map((m) => element("li", {},
          `${net.movies.title[m] ?? "#" + net.movies.id[m]}` +
          (net.movies.year[m] ? ` (${net.movies.year[m]})` : "")))),
        element("h4", {}, "Strongest collaborators (drawn)"),
        element("ol", { id: "person-collaborators" }, collaborators.map(([other, weight]) => {
          const item = element("li", {}, element("span", { class: "link" }, graph.getNodeAttribute(other, "label")),
            ` · ${weight} shared`);
          item.firstChild.addEventListener("click", () => select(other));
          return item;
        })),
      );
    }

    let hovered = null;  // sigma draws the hovered person's name; tests read who it is
    renderer.on("enterNode", ({ node }) => { hovered = node; });
    renderer.on("leaveNode", () => { hovered = null; });
    renderer.on("clickNode", ({ node }) => select(node));
    renderer.on("clickStage", () => select(null));
    search(nodes, select);
    window.reportGraph = {
      graph, renderer, select, selected: () => selected, hovered: () => hovered,
      // Where a person is drawn, in CSS pixels from the window's top left corner.
      onScreen: (node) => {
        const at = renderer.graphToViewport(graph.getNodeAttributes(node));
        const box = container.getBoundingClientRect();
        return { x: box.left + at.x, y: box.top + at.y };
      },
      firstFrame: frame,
      rendered: () => ({
        nodes: graph.nodes().filter((node) => renderer.getNodeDisplayData(node) !== undefined).length,
        edges: graph.edges().filter((edge) => renderer.getEdgeDisplayData(edge) !== undefined).length,
      }),
    };
    return frame;
  }

  function search(nodes, select) {
    const input = $("search");
    const list = $("matches");
    const lower = nodes.name.map((name) => (name || "").toLowerCase());
    let found = [];
    const show = () => {
      const query = input.value.trim().toLowerCase();
      found = [];
      if (query) {
        lower.forEach((name, i) => { if (name.includes(query)) found.push(i); });
        found.sort((a, b) => (lower[b].startsWith(query) - lower[a].startsWith(query))
          || (lower[b] === query) - (lower[a] === query) || nodes.degree[b] - nodes.degree[a]);
        found = found.slice(0, 10);
      }
      list.replaceChildren(...found.map((i, rank) => {
        const item = element("li", rank === 0 ? { class: "active" } : {},
          nodes.name[i], element("span", { class: "hint" }, ` · ${n(nodes.degree[i])} co-stars`));
        item.addEventListener("click", () => { list.replaceChildren(); select(String(i)); });
        return item;
      }));
    };
    input.addEventListener("input", show);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && found.length) {
        list.replaceChildren();
        select(String(found[0]));
      }
    });
  }

  function communityTable(net) {
    const c = net.communities;
    fillTable($("communities"),
      [["#"], ["people", 1], ["best-known members"], ["main genre"], ["decades"]],
      c.community.map((community, i) => [
        element("span", {}, element("span", { class: "swatch", style: `background:${colourOf(community)}` }),
          String(community + 1)),
        c.size[i], (c.best_known[i] || []).join(", "), c.genre[i],
        c.first_decade[i] === null ? null : c.first_decade[i] === c.last_decade[i]
          ? `${c.first_decade[i]}s` : `${c.first_decade[i]}s–${c.last_decade[i]}s`]));
    if (!c.community.length) {
      $("communities").replaceChildren(element("caption", { class: "note" }, "No community."));
    }
  }

  $("made-with").textContent = "Charts by Vega-Lite (vega-embed); the network by sigma.js " +
    "and graphology; positions by igraph (Fruchterman-Reingold), communities by Leiden.";
  collection();
  catalog();
  const drawn = network();
  window.reportReady = Promise.all([drawn, ...embeds]).then(() => {
    document.body.dataset.ready = "true";
    return true;
  });
})();
