// Stat Server wallboard (docs/wallboard.md).  No build step, no dependencies.
//
// 1. GET /api/v1/wallboard: the plan (agents, groups, queues, the request of each column).
// 2. One WebSocket to /ws speaking the client protocol: an OpenStatistic(Ex) per cell in
//    Changes mode; the server pushes Info events when a value changes.  No polling.
// 3. Updates are batched: a changed cell is queued and the DOM is written once per animation
//    frame, only for cells whose text or colour changed.  An agent's time in status is
//    computed here from the CurrentState startTime, once a second.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const STATUS = {
    WaitForNextCall: ["Ready", "ready"],
    NotReadyForNextCall: ["Not ready", "notready"],
    AfterCallWork: ["After call work", "acw"],
    CallRinging: ["Ringing", "ringing"],
    CallDialing: ["Dialing", "ringing"],
    CallOnHold: ["On hold", "hold"],
    CallInbound: ["Inbound call", "busy"],
    CallOutbound: ["Outbound call", "busy"],
    CallInternal: ["Internal call", "busy"],
    CallConsult: ["Consult call", "busy"],
    CallUnknown: ["On a call", "busy"],
    LoggedIn: ["Logged in", "idle"],
    OnHook: ["Idle", "idle"],
    OffHook: ["Off hook", "idle"],
    LoggedOut: ["Logged out", "loggedout"],
    NotMonitored: ["Not monitored", "loggedout"],
  };
  const SUMMARY = [
    ["ready", "ready"],
    ["notready", "not ready"],
    ["acw", "ACW"],
    ["busy", "busy"],
    ["ringing", "ringing"],
    ["hold", "on hold"],
    ["loggedout", "logged out"],
  ];

  const wb = {
    plan: null,
    ws: null,
    nextRef: 1,
    refs: new Map(), // referenceId -> target
    dirty: new Set(), // cells whose wanted state differs from the DOM
    frame: 0,
    offset: 0, // server clock minus this browser's clock, seconds
    agents: [],
    cells: [], // every statistic cell (queues, groups)
    trends: [],
    infos: 0, // Info events received (tests wait on it)
    retry: 1000,
  };
  window.wallboard = wb;

  // ---------------------------------------------------------------- formatting
  function duration(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  function format(value, unit) {
    if (value === null || value === undefined) return "—";
    if (typeof value !== "number") return typeof value === "object" ? "…" : String(value);
    switch (unit) {
      case "count":
        return String(Math.round(value));
      case "seconds":
        return duration(value);
      case "percent":
        return `${value.toFixed(1)}%`;
      case "rate":
        return value.toFixed(2);
      default:
        return Number.isInteger(value) ? String(value) : value.toFixed(2);
    }
  }

  function level(value, th) {
    if (!th || typeof value !== "number") return "";
    if (th.direction === "below") {
      if (th.alarm !== null && th.alarm !== undefined && value <= th.alarm) return "alarm";
      if (th.warning !== null && th.warning !== undefined && value <= th.warning) return "warn";
      return "";
    }
    if (th.alarm !== null && th.alarm !== undefined && value >= th.alarm) return "alarm";
    if (th.warning !== null && th.warning !== undefined && value >= th.warning) return "warn";
    return "";
  }

  function reasonText(reasons) {
    if (!reasons || typeof reasons !== "object") return "";
    for (const key of ["ReasonCode", "reasonCode", "Reason", "reason"]) {
      if (reasons[key] !== undefined && reasons[key] !== null) return String(reasons[key]);
    }
    const keys = Object.keys(reasons);
    return keys.length ? keys.map((k) => `${k}=${reasons[k]}`).join(", ") : "";
  }

  function serverNow() {
    return Date.now() / 1000 + wb.offset;
  }

  // ---------------------------------------------------------------- batched DOM writes
  // A cell is {el, text, cls, title, shown: {text, cls, title}}: set the wanted state, and
  // the next animation frame writes what changed.
  function cell(el, base) {
    return { el, base: base || "", text: "", cls: "", title: "", shown: { text: null, cls: null, title: null } };
  }

  function want(c, text, cls, title) {
    if (title === undefined) title = c.title;
    if (c.text === text && c.cls === cls && c.title === title) return;
    c.text = text;
    c.cls = cls;
    c.title = title;
    wb.dirty.add(c);
    if (!wb.frame) wb.frame = requestAnimationFrame(flush);
  }

  function flush() {
    wb.frame = 0;
    // a burst (1,000 agents changing at once) is spread over frames: at most 250 cells and
    // ~8 ms of writes each, so that style and layout stay short too
    const deadline = performance.now() + 8;
    let n = 0;
    for (const c of wb.dirty) {
      wb.dirty.delete(c);
      const s = c.shown;
      if (s.text !== c.text) {
        c.el.textContent = c.text;
        s.text = c.text;
      }
      if (s.cls !== c.cls) {
        c.el.className = c.base + (c.cls ? ` ${c.cls}` : "");
        s.cls = c.cls;
      }
      if (s.title !== c.title) {
        if (c.title) c.el.title = c.title;
        else c.el.removeAttribute("title");
        s.title = c.title;
      }
      n += 1;
      if (n >= 250 || ((n & 63) === 0 && performance.now() > deadline)) break;
    }
    if (wb.dirty.size && !wb.frame) wb.frame = requestAnimationFrame(flush);
  }

  // ---------------------------------------------------------------- building the page
  function th(text, cls) {
    const el = document.createElement("th");
    el.textContent = text;
    if (cls) el.className = cls;
    return el;
  }

  function buildTable(id, section, rows, columns, withTrend) {
    const table = $(id);
    if (!rows.length) {
      $(section).hidden = true;
      return;
    }
    const head = document.createElement("tr");
    head.appendChild(th("Name"));
    const multi = wb.plan.tenants.length > 1;
    if (multi) head.appendChild(th("Tenant"));
    for (const col of columns) {
      const h = th(col.label, "num");
      if (col.description) h.title = col.description;
      head.appendChild(h);
    }
    const trendCol = wb.plan.trend && wb.plan.trend.column;
    if (withTrend && trendCol) head.appendChild(th(`${trendCol.label} (${wb.plan.trend.minutes} min)`, "trend"));
    table.tHead.appendChild(head);
    const frag = document.createDocumentFragment();
    for (const row of rows) {
      const tr = document.createElement("tr");
      tr.dataset.object = row.id;
      tr.dataset.objectType = row.objectType;
      const name = document.createElement("td");
      name.className = "name";
      name.textContent = row.name;
      tr.appendChild(name);
      if (multi) {
        const t = document.createElement("td");
        t.textContent = row.tenant;
        tr.appendChild(t);
      }
      let trendTarget = null;
      for (const col of columns) {
        const td = document.createElement("td");
        td.dataset.key = col.key;
        td.dataset.object = row.id;
        const c = cell(td, "num");
        const req = col.requests[row.objectType];
        if (req) {
          want(c, "…", "pending");
          const target = { kind: "cell", cell: c, col, row, req, trend: null };
          wb.cells.push(target);
          if (col.key === wb.plan.trend.key) trendTarget = target;
        } else {
          want(c, "", "na", `${col.label} does not apply to ${row.objectType}`);
        }
        tr.appendChild(td);
      }
      if (withTrend && trendCol) {
        const td = document.createElement("td");
        td.className = "trend";
        const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svg.setAttribute("viewBox", "0 0 120 24");
        svg.setAttribute("preserveAspectRatio", "none");
        const area = document.createElementNS("http://www.w3.org/2000/svg", "path");
        area.setAttribute("class", "area");
        const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
        path.setAttribute("class", "line");
        svg.appendChild(area);
        svg.appendChild(path);
        td.appendChild(svg);
        tr.appendChild(td);
        const trend = { path, area, points: [], drawn: "" };
        wb.trends.push(trend);
        if (trendTarget) {
          trendTarget.trend = trend;
        } else if (trendCol.requests[row.objectType]) {
          // the trend statistic is not a column: open it for the chart alone
          wb.cells.push({ kind: "trend", col: trendCol, row, req: trendCol.requests[row.objectType], trend });
        }
      }
      frag.appendChild(tr);
    }
    table.tBodies[0].appendChild(frag);
  }

  function buildAgents() {
    const agents = wb.plan.agents;
    if (!agents.length) {
      $("agents-section").hidden = true;
      return;
    }
    const frag = document.createDocumentFragment();
    for (const a of agents) {
      const tr = document.createElement("tr");
      tr.dataset.agent = a.id;
      tr.dataset.tenant = a.tenant;
      const tds = [];
      for (const cls of ["name", "place", "status", "num time", "reason"]) {
        const td = document.createElement("td");
        td.className = cls;
        tr.appendChild(td);
        tds.push(td);
      }
      tds[0].textContent = a.name;
      if (a.name !== a.id) tds[0].title = a.id;
      const agent = {
        kind: "agent",
        info: a,
        row: tr,
        search: `${a.name} ${a.id}`.toLowerCase(),
        place: cell(tds[1], "place"),
        status: cell(tds[2], "status"),
        time: cell(tds[3], "num time"),
        reason: cell(tds[4], "reason"),
        state: null, // status name
        start: 0,
        statusClass: "",
        visible: true, // on screen: only those get their time redrawn every second
      };
      want(agent.status, "…", "pending");
      wb.agents.push(agent);
      frag.appendChild(tr);
    }
    $("agents").tBodies[0].appendChild(frag);
    if ("IntersectionObserver" in window) {
      const byRow = new Map(wb.agents.map((a) => [a.row, a]));
      const seen = new IntersectionObserver((entries) => {
        const now = serverNow();
        for (const e of entries) {
          const a = byRow.get(e.target);
          a.visible = e.isIntersecting;
          if (a.visible) tickAgent(a, now);
        }
      });
      for (const a of wb.agents) seen.observe(a.row);
    }
    $("filter").addEventListener("input", () => {
      const q = $("filter").value.trim().toLowerCase();
      for (const a of wb.agents) a.row.hidden = q !== "" && !a.search.includes(q);
    });
  }

  // ---------------------------------------------------------------- values
  function applyAgent(agent, value) {
    if (!value || typeof value !== "object") return;
    const status = value.status || "";
    const [label, cls] = STATUS[status] || [status, "idle"];
    agent.state = status;
    agent.start = value.startTime || 0;
    agent.statusClass = cls;
    want(agent.status, label, cls, status);
    want(agent.place, value.placeId || "", "");
    const reasons = value.reasons || (value.dns && value.dns.length && value.dns[0].reasons);
    want(agent.reason, reasonText(reasons), "");
    if (agent.visible) tickAgent(agent, serverNow());
    else want(agent.time, "", "");
  }

  function tickAgent(agent, now) {
    if (!agent.state) return;
    if (agent.state === "LoggedOut" || agent.state === "NotMonitored" || !agent.start) {
      want(agent.time, "", "");
      return;
    }
    const secs = Math.max(0, now - agent.start);
    const limits = wb.plan.statusTime[agent.state];
    want(agent.time, duration(secs), limits ? level(secs, { ...limits, direction: "above" }) : "");
  }

  function applyCell(target, value) {
    const col = target.col;
    if (target.cell) {
      const lvl = level(value, col.thresholds);
      want(target.cell, format(value, col.unit), lvl, "");
    }
    if (target.trend && typeof value === "number") {
      const now = serverNow();
      const pts = target.trend.points;
      pts.push([now, value]);
      const horizon = now - wb.plan.trend.minutes * 60 - 60;
      while (pts.length > 2 && pts[1][0] < horizon) pts.shift();
      drawTrend(target.trend, now);
    }
  }

  function drawTrend(trend, now) {
    const pts = trend.points;
    if (!pts.length) return;
    // the chart covers the history seen so far, up to the configured window
    const span = Math.min(wb.plan.trend.minutes * 60, Math.max(60, now - pts[0][0]));
    const t0 = now - span;
    let max = 1;
    for (const [, v] of pts) if (v > max) max = v;
    const x = (t) => Math.max(0, Math.min(120, ((t - t0) / span) * 120)).toFixed(1);
    const y = (v) => (23 - (v / max) * 22).toFixed(1);
    let d = `M${x(pts[0][0])},${y(pts[0][1])}`;
    for (let i = 1; i < pts.length; i++) {
      d += `H${x(pts[i][0])}V${y(pts[i][1])}`;
    }
    d += `H${x(now)}`;
    if (d !== trend.drawn) {
      trend.path.setAttribute("d", d);
      trend.area.setAttribute("d", `${d}V24H${x(pts[0][0])}Z`);
      trend.drawn = d;
    }
  }

  function markAll(cls, title) {
    for (const t of wb.cells) if (t.cell) want(t.cell, t.cell.text, cls, title);
    for (const a of wb.agents) want(a.status, a.status.text, `${a.statusClass} ${cls}`.trim(), title);
  }

  function onEvent(ev) {
    if (ev.time) {
      // keep the browser clock in step with the server's (time is whole seconds)
      const off = ev.time - Date.now() / 1000;
      if (off > wb.offset || off < wb.offset - 2) wb.offset = off;
    }
    const target = ev.referenceId !== undefined ? wb.refs.get(ev.referenceId) : undefined;
    switch (ev.event) {
      case "Info":
        wb.infos += 1;
        if (!target) return;
        if (target.kind === "agent") applyAgent(target, ev.value);
        else applyCell(target, ev.value);
        return;
      case "Error":
        if (!target) {
          console.warn("wallboard:", ev.code, ev.message);
          return;
        }
        if (target.cell) want(target.cell, "—", "error", `${ev.code}: ${ev.message}`);
        if (target.kind === "agent") want(target.status, "—", "error", `${ev.code}: ${ev.message}`);
        return;
      case "StatisticInvalid":
        if (target && target.cell) want(target.cell, target.cell.text, "stale", "statistic invalid: a source is disconnected");
        if (target && target.kind === "agent") want(target.status, target.status.text, `${target.statusClass} stale`, "statistic invalid");
        return;
      case "StatisticValid":
        if (target && target.cell) want(target.cell, target.cell.text, "", "");
        if (target && target.kind === "agent") want(target.status, target.status.text, target.statusClass, target.state);
        return;
      case "ServerMode":
        $("mode").textContent = ev.mode;
        return;
      default:
    }
  }

  // ---------------------------------------------------------------- the connection
  function open(ws, target, object, req) {
    const ref = wb.nextRef++;
    wb.refs.set(ref, target);
    ws.send(
      JSON.stringify({
        request: req.request,
        referenceId: ref,
        object,
        metric: req.metric,
        notification: { mode: "Changes" },
      }),
    );
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws?client=wallboard`);
    wb.ws = ws;
    ws.onopen = () => {
      wb.retry = 1000;
      wb.refs.clear();
      document.body.dataset.connected = "yes";
      $("conn").textContent = "live";
      $("conn").className = "pill conn live";
      const state = wb.plan.agentState;
      for (const a of wb.agents) {
        open(ws, a, { objectId: a.info.id, objectType: "Agent", tenant: a.info.tenant }, state);
      }
      for (const t of wb.cells) {
        open(ws, t, { objectId: t.row.id, objectType: t.row.objectType, tenant: t.row.tenant }, t.req);
      }
    };
    ws.onmessage = (msg) => {
      let ev;
      try {
        ev = JSON.parse(msg.data);
      } catch (e) {
        return;
      }
      onEvent(ev);
    };
    ws.onclose = () => {
      document.body.dataset.connected = "no";
      $("conn").textContent = "disconnected — reconnecting…";
      $("conn").className = "pill conn down";
      markAll("stale", "not connected to the server");
      setTimeout(connect, wb.retry);
      wb.retry = Math.min(wb.retry * 2, 10000);
    };
  }

  function tick() {
    const now = serverNow();
    const counts = {};
    for (const a of wb.agents) {
      if (a.visible) tickAgent(a, now);
      if (a.statusClass) counts[a.statusClass] = (counts[a.statusClass] || 0) + 1;
    }
    $("agent-summary").textContent = SUMMARY.filter(([k]) => counts[k])
      .map(([k, label]) => `${counts[k]} ${label}`)
      .join(" · ");
    for (const t of wb.trends) drawTrend(t, now);
    $("clock").textContent = new Date(now * 1000).toLocaleTimeString();
  }

  async function start() {
    let plan;
    try {
      const resp = await fetch("/api/v1/wallboard", { cache: "no-store" });
      plan = await resp.json();
      if (!resp.ok) throw new Error(plan.message || resp.statusText);
    } catch (e) {
      $("conn").textContent = `cannot load the wallboard: ${e.message}`;
      $("conn").className = "pill conn down";
      setTimeout(start, 5000);
      return;
    }
    wb.plan = plan;
    wb.offset = plan.serverTime - Date.now() / 1000;
    document.title = plan.title;
    $("title").textContent = plan.title;
    buildTable("queues", "queues-section", plan.queues.rows, plan.queues.columns, true);
    buildTable("groups", "groups-section", plan.groups.rows, plan.groups.columns, false);
    buildAgents();
    connect();
    tick();
    setInterval(tick, 1000);
  }

  start();
})();
