// Host check-in that keeps working without a connection: every check-in and walk-in is kept in
// this phone's storage with an id made here, sent when the phone is online, and forgotten only
// once the server says it has it. Sending the same one twice changes nothing on the server.
(function () {
  "use strict";
  const root = document.getElementById("host");
  if (!root) return;
  const script = document.currentScript;
  const checkedLabel = script.dataset.checkedLabel;
  const walkinLabel = script.dataset.walkinLabel;
  const storeKey = "turnout-host-" + root.dataset.event;
  const load = () => JSON.parse(localStorage.getItem(storeKey) || '{"checkins":[],"walkins":[]}');
  const save = (queue) => localStorage.setItem(storeKey, JSON.stringify(queue));
  const newId = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
  const pending = document.querySelector('[data-testid="pending"]');
  const offline = document.getElementById("offline");
  let syncing = false;

  function markChecked(row) {
    row.classList.add("checked");
    const button = row.querySelector("button.checkin");
    if (button) { button.disabled = true; button.textContent = checkedLabel; }
  }

  function addWalkinRow(item) {
    const row = document.createElement("li");
    row.className = "card roster-row checked";
    row.dataset.walkin = item.id;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = (item.given_name + " " + (item.family_name || "")).trim();
    const note = document.createElement("span");
    note.className = "small muted";
    note.textContent = walkinLabel;
    row.append(name, " ", note);
    document.getElementById("roster").prepend(row);
  }

  function render() {
    const queue = load();
    pending.textContent = String(queue.checkins.length + queue.walkins.length);
    offline.hidden = navigator.onLine;
    for (const item of queue.checkins) {
      const row = document.querySelector('[data-rsvp="' + CSS.escape(item.rsvp) + '"]');
      if (row) markChecked(row);
    }
    for (const item of queue.walkins) {
      if (!document.querySelector('[data-walkin="' + CSS.escape(item.id) + '"]')) addWalkinRow(item);
    }
  }

  async function sync() {
    const queue = load();
    if (syncing || !navigator.onLine || (queue.checkins.length + queue.walkins.length) === 0) { render(); return; }
    syncing = true;
    try {
      const response = await fetch(root.dataset.syncUrl, {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(queue),
      });
      if (!response.ok) return;
      const answer = await response.json();
      const done = new Set(answer.applied.concat(answer.problems.map((p) => p.id)));
      const now = load();  // what was added while the request was out stays queued
      now.checkins = now.checkins.filter((c) => !done.has(c.id));
      now.walkins = now.walkins.filter((w) => !done.has(w.id));
      save(now);
      document.querySelector('[data-testid="checked-in"]').textContent = answer.counts.checked_in;
      document.querySelector('[data-testid="going"]').textContent = answer.counts.going;
    } catch (error) {
      // Still offline, or the connection dropped mid-request: the queue is kept; try again later.
    } finally {
      syncing = false;
      render();
    }
  }

  document.getElementById("roster").addEventListener("click", (event) => {
    const button = event.target.closest("button.checkin");
    if (!button || button.disabled) return;
    const row = button.closest("[data-rsvp]");
    const queue = load();
    if (!queue.checkins.some((c) => c.rsvp === row.dataset.rsvp)) {
      queue.checkins.push({id: newId(), rsvp: row.dataset.rsvp, at: new Date().toISOString()});
      save(queue);
    }
    markChecked(row);
    sync();
  });

  document.getElementById("walkin").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    if (!form.given_name.value.trim()) { form.given_name.focus(); return; }
    const item = {id: newId(), given_name: form.given_name.value.trim(), family_name: form.family_name.value.trim(),
                  email: form.email.value.trim(), phone: form.phone.value.trim(),
                  sms_consent: form.sms_consent.checked, at: new Date().toISOString()};
    const queue = load();
    queue.walkins.push(item);
    save(queue);
    form.reset();
    render();
    sync();
  });

  // The page itself stays available without a signal (reopened from the phone's cache).
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.worker).catch(() => {});
  }

  window.addEventListener("online", sync);
  window.addEventListener("offline", render);
  setInterval(sync, 5000);
  render();
  sync();
})();
