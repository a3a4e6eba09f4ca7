/* 我的工单 on the phone: sort by distance, sign in with the position, and queue photos that survive being offline.
 *
 * - The list page asks the browser for its position once and reloads itself with ?lat=&lon= (the server sorts).
 * - The order page fills the arrival form's hidden latitude/longitude from the browser's geolocation.
 * - Photos are queued in IndexedDB (localStorage when IndexedDB is unavailable, small photos only), each under a
 *   UUID made here, and uploaded with the file's lastModified and the position; an upload that fails for the
 *   network stays queued and is retried when the phone is back online (and every 30 s). The server accepts each
 *   UUID once, so a retry after a lost answer does not store the photo twice. A refusal (400/403/404) is shown and
 *   dropped from the queue.
 */
(function () {
  "use strict";
  var DB_NAME = "changji-work-order-photos", STORE = "queue";
  var position = null;

  function locate(callback) {
    if (!navigator.geolocation) { callback(null); return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      position = {lat: p.coords.latitude, lon: p.coords.longitude};
      callback(position);
    }, function () { callback(null); }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /* --- the queue: IndexedDB, or localStorage (data URLs) as a fallback --- */
  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no indexedDB")); return; }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, {keyPath: "client_id"}); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, action) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result = action(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }

  var fallbackKey = "changji-photo-queue";
  function fallbackList() { try { return JSON.parse(localStorage.getItem(fallbackKey) || "[]"); } catch (e) { return []; } }
  function fallbackSave(items) { localStorage.setItem(fallbackKey, JSON.stringify(items)); }

  function enqueue(item) {
    return withStore("readwrite", function (store) { return store.put(item); }).catch(function () {
      return new Promise(function (resolve) {
        var reader = new FileReader();
        reader.onload = function () {
          var items = fallbackList();
          var copy = Object.assign({}, item, {blob: null, dataUrl: reader.result});
          items.push(copy);
          fallbackSave(items);
          resolve();
        };
        reader.readAsDataURL(item.blob);
      });
    });
  }

  function listQueue() {
    return withStore("readonly", function (store) { return store.getAll(); }).catch(function () {
      return fallbackList().map(function (item) {
        var parts = item.dataUrl.split(","), bin = atob(parts[1]), bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
        return Object.assign({}, item, {blob: new Blob([bytes], {type: "image/jpeg"})});
      });
    });
  }

  function dequeue(clientId) {
    return withStore("readwrite", function (store) { return store.delete(clientId); }).catch(function () {
      fallbackSave(fallbackList().filter(function (item) { return item.client_id !== clientId; }));
    });
  }

  /* --- upload --- */
  var section = document.getElementById("photo-queue");
  var statusLine = document.getElementById("queue-status");
  var draining = false;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(text) { if (statusLine) { statusLine.textContent = text; } }

  function upload(item) {
    var form = new FormData();
    form.append("client_id", item.client_id);
    form.append("photo", item.blob, item.name || "photo.jpg");
    if (item.lastModified) { form.append("taken_at_ms", String(Math.round(item.lastModified))); }
    if (item.lat != null && item.lon != null) {
      form.append("latitude", item.lat.toFixed(6));
      form.append("longitude", item.lon.toFixed(6));
    }
    return fetch(item.url, {method: "POST", body: form, credentials: "same-origin",
                            headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}})
      .then(function (response) {
        if (response.ok) { return dequeue(item.client_id).then(function () { return "ok"; }); }
        if (response.status >= 400 && response.status < 500) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            return dequeue(item.client_id).then(function () { return "照片被拒绝：" + (body.detail || response.status); });
          });
        }
        return "retry";
      }, function () { return "retry"; });
  }

  function drain() {
    if (draining || !section) { return Promise.resolve(); }
    draining = true;
    return listQueue().then(function (items) {
      var mine = items.filter(function (item) { return item.url === section.dataset.uploadUrl; });
      var chain = Promise.resolve({sent: 0, waiting: 0, refused: ""});
      mine.forEach(function (item) {
        chain = chain.then(function (tally) {
          return upload(item).then(function (outcome) {
            if (outcome === "ok") { tally.sent += 1; } else if (outcome === "retry") { tally.waiting += 1; } else { tally.refused = outcome; }
            return tally;
          });
        });
      });
      return chain;
    }).then(function (tally) {
      draining = false;
      if (tally.refused) { say(tally.refused); } else if (tally.waiting) { say("待上传 " + tally.waiting + " 张（联网后自动上传）"); } else if (tally.sent) { say("已上传 " + tally.sent + " 张"); }
      section.dataset.state = tally.waiting ? "waiting" : "idle";
      if (tally.sent) { section.dataset.sent = String((Number(section.dataset.sent) || 0) + tally.sent); }
    }, function () { draining = false; });
  }

  if (section) {
    section.dataset.state = "idle";
    locate(function () {});
    document.getElementById("photo-input").addEventListener("change", function (event) {
      var files = Array.prototype.slice.call(event.target.files || []);
      section.dataset.state = "queueing";
      var queued = files.map(function (file) {
        return enqueue({client_id: uuid(), url: section.dataset.uploadUrl, blob: file, name: file.name,
                        lastModified: file.lastModified, lat: position && position.lat, lon: position && position.lon});
      });
      Promise.all(queued).then(function () { event.target.value = ""; say("已保存 " + files.length + " 张，正在上传…"); return drain(); });
    });
    window.addEventListener("online", drain);
    setInterval(drain, 30000);
    drain();
  }

  /* --- arrival: the position into the form --- */
  var arrival = document.getElementById("form-on_site");
  if (arrival) {
    locate(function (p) {
      if (!p) { return; }
      arrival.querySelector("input[name$=latitude]").value = p.lat.toFixed(6);
      arrival.querySelector("input[name$=longitude]").value = p.lon.toFixed(6);
      arrival.dataset.located = "1";
    });
  }

  /* --- the list: sort by distance once the position is known --- */
  var list = document.getElementById("my-orders");
  if (list && list.dataset.hasPosition === "0") {
    locate(function (p) {
      if (!p) { return; }
      var url = new URL(window.location.href);
      url.searchParams.set("lat", p.lat.toFixed(5));
      url.searchParams.set("lon", p.lon.toFixed(5));
      window.location.replace(url.toString());
    });
  }
}());
