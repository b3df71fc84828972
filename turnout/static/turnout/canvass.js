// A canvasser's offline app: a downloaded turf and the results recorded at its doors live in the
// phone's local storage; results go to Turnout when there is signal, each with an id made here, so
// a sync cut off and sent again is kept once. Nothing is lost if the page is closed: what waits
// to sync is sent the next time the page opens online. Each result is its own storage entry, so
// two tabs of the app never write over each other's results.
(function () {
  "use strict";
  const root = document.getElementById("canvass");
  if (!root) { return; }
  const text = JSON.parse(document.getElementById("canvass-text").textContent);
  const prefix = "turnout-canvass:" + root.dataset.key + ":";
  const $ = function (id) { return document.getElementById(id); };
  let open = null;
  let syncing = false;

  function read(name) {
    try { return JSON.parse(localStorage.getItem(prefix + name) || "null"); } catch (e) { return null; }
  }
  // Writes one entry; when the phone's storage is full, turfs other than the open one make room.
  function write(name, value) {
    for (let attempt = 0; attempt < 2; attempt++) {
      try { localStorage.setItem(prefix + name, JSON.stringify(value)); return true; } catch (e) {
        entries("turf:").forEach(function (k) { if (k !== "turf:" + open) { localStorage.removeItem(prefix + k); } });
      }
    }
    return false;
  }
  function entries(kind) {
    const found = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k && k.startsWith(prefix + kind)) { found.push(k.slice(prefix.length)); }
    }
    return found;
  }
  function queue() {
    return entries("r:").map(read).filter(Boolean).sort(function (a, b) {
      return a.recorded_at < b.recorded_at ? -1 : 1;
    });
  }
  function turf(id) { return read("turf:" + id); }

  function newId() {
    if (self.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function showStatus(extra) {
    const n = queue().length;
    let line = n ? (n === 1 ? text.waiting_one : text.waiting_many.replace("%(n)s", n)) : text.synced;
    if (!navigator.onLine) { line += " " + text.offline; }
    const refused = entries("x:").map(read).filter(Boolean);
    if (refused.length) { line += " " + text.refused + " " + refused.map(function (r) { return r.reason; }).join(" "); }
    $("sync-status").textContent = extra ? line + " " + extra : line;
  }

  function button(label, kind) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (kind) { b.className = kind; }
    return b;
  }

  function showTurf(id) {
    const shown = turf(id);
    if (!shown) { return; }
    open = id;
    $("walk").hidden = false;
    $("door").hidden = true;
    $("walk-title").textContent = shown.name;
    const list = $("households");
    list.replaceChildren();
    for (const home of shown.households) {
      const item = document.createElement("li");
      item.className = "household";
      const where = document.createElement("strong");
      where.textContent = home.address;
      item.append(where);
      for (const person of home.people) {
        const done = read("done:" + person.id) || person.result;
        const b = button(done ? person.name + " · " + done : person.name, done ? "chip chosen" : "chip");
        b.dataset.testid = "person";
        b.addEventListener("click", function () { showDoor(shown, home, person); });
        item.append(" ", b);
      }
      list.append(item);
    }
  }

  function choice(name, value, label) {
    const row = document.createElement("label");
    row.className = "choice";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = name;
    input.value = value;
    row.append(input, " " + label);
    return row;
  }

  function showDoor(turf, home, person) {
    $("walk").hidden = true;
    $("door").hidden = false;
    $("door-problem").hidden = true;
    $("door-name").textContent = person.name;
    $("door-address").textContent = home.address;
    $("door-script").textContent = person.script.replace(/\{\{\s*first_name\s*\}\}|\{first_name\}/g, person.name);
    const questions = $("door-questions");
    questions.replaceChildren();
    for (const q of turf.questions) {
      const set = document.createElement("fieldset");
      set.className = "survey";
      const legend = document.createElement("legend");
      legend.textContent = q.prompt;
      set.append(legend);
      for (const c of q.choices) {
        set.append(choice("q" + q.id, c.id, c.label));
        if (c.follow_up) {
          const then = document.createElement("p");
          then.className = "small muted follow-up";
          then.textContent = text.then_say + " " + c.follow_up;
          set.append(then);
        }
      }
      questions.append(set);
    }
    const results = $("door-results");
    results.replaceChildren();
    for (const r of turf.results) { results.append(choice("result", r.id, r.label)); }
    const scale = turf.scale || [];  // a walk of a workplace's roster: its organizers' 1 to 5
    const talked = new Set(turf.results.filter(function (r) { return r.talked; }).map(function (r) { return String(r.id); }));
    $("door-assess").hidden = true;  // where they stand: asked once they say they talked
    results.onchange = function () {
      $("door-assess").hidden = !scale.length || !talked.has(new FormData($("door-form")).get("result"));
    };
    $("door-scale").replaceChildren();
    for (const s of scale) { $("door-scale").append(choice("score", s.score, s.label)); }
    $("door-next").value = "";
    $("door-form").onsubmit = function (event) {
      event.preventDefault();
      const form = new FormData(event.target);
      const result = form.get("result");
      if (!result) {
        $("door-problem").textContent = text.choose_result;
        $("door-problem").hidden = false;
        return;
      }
      const picked = turf.questions.map(function (q) { return form.get("q" + q.id); }).filter(Boolean);
      const entry = {client_id: newId(), contact: person.id, result: Number(result), choices: picked.map(Number),
                     recorded_at: new Date().toISOString(), revision: turf.revision};
      if (scale.length) {
        entry.score = form.get("score") && talked.has(result) ? Number(form.get("score")) : null;
        entry.next_step = (form.get("next_step") || "").trim();
      }
      if (!write("r:" + entry.client_id, entry)) {
        $("door-problem").textContent = text.full;
        $("door-problem").hidden = false;
        return;
      }
      write("done:" + person.id, turf.results.find(function (r) { return String(r.id) === result; }).label);
      showTurf(turf.id);
      showStatus();
      sync();
    };
  }

  function download(b) {
    b.disabled = true;
    fetch(b.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      })
      .then(function (answer) {
        if (!answer.ok) { showStatus(answer.data.error || ""); return; }
        open = answer.data.id;
        if (!write("turf:" + answer.data.id, answer.data)) { showStatus(text.full); return; }
        b.textContent = text.open;
        showTurf(answer.data.id);
      })
      .catch(function () { showStatus(text.no_signal); })
      .finally(function () { b.disabled = false; });
  }

  function sync() {
    const waiting = queue();
    if (syncing || !waiting.length || !navigator.onLine) { showStatus(); return; }
    syncing = true;
    const batch = waiting.slice(0, 500);
    $("sync-status").textContent = text.syncing;
    fetch(root.dataset.sync, {method: "POST", credentials: "same-origin",
                              headers: {"Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf},
                              body: JSON.stringify({results: batch})})
      .then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      })
      .then(function (answer) {
        if (!answer.ok) { showStatus(answer.data.error || ""); return false; }
        answer.data.accepted.concat(answer.data.flagged).forEach(function (id) {
          localStorage.removeItem(prefix + "r:" + id);
        });
        answer.data.refused.forEach(function (r) {  // kept aside with the reason, not lost
          write("x:" + r.client_id, {result: read("r:" + r.client_id), reason: r.reason});
          localStorage.removeItem(prefix + "r:" + r.client_id);
        });
        showStatus();
        const settled = answer.data.accepted.length + answer.data.flagged.length + answer.data.refused.length;
        return queue().length > 0 && settled > 0;
      })
      .catch(function () { showStatus(text.no_signal); return false; })
      .then(function (more) {
        syncing = false;
        if (more) { sync(); }
      });
  }

  for (const b of document.querySelectorAll("[data-turf]")) {
    if (turf(b.dataset.turf)) { b.textContent = text.open; }
    b.addEventListener("click", function () {
      if (turf(b.dataset.turf) && !navigator.onLine) { showTurf(b.dataset.turf); } else { download(b); }
    });
  }
  $("door-back").addEventListener("click", function () { showTurf(open); });
  $("sync-now").addEventListener("click", sync);
  window.addEventListener("online", sync);
  window.addEventListener("offline", function () { showStatus(); });
  showStatus();
  sync();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.sw, {scope: root.dataset.scope}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      const files = Array.from(document.querySelectorAll("script[src], link[rel=stylesheet]"), function (node) {
        return node.src || node.href;
      });
      registration.active.postMessage({keep: [location.href.split("#")[0]].concat(files)});
      root.dataset.offlineReady = "true";
    }).catch(function () { /* the app still works while the page stays open */ });
  }
})();
