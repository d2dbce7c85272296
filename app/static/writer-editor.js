/* The article editor (/writer/articles/new, /writer/articles/<slug>/edit).
 *
 * The page works as a plain form without this script (the server renders the preview and the
 * warnings on every load). Here:
 *  - the preview and the warnings follow the text as it is typed: POST /writer/preview renders
 *    with the server's own renderer and sanitiser, so the preview is exactly what readers get;
 *  - the text is autosaved (PUT /writer/autosave, a per-writer buffer, not a revision) a moment
 *    after typing stops and when the tab is hidden or closed;
 *  - images can be pasted, dropped or chosen: POST /writer/images, then ![…](/media/…) is
 *    inserted at the cursor.
 * Chinese input methods fire input events while composing pinyin: we wait for compositionend.
 */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form || !window.fetch) return;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var body = form.querySelector("textarea[name=body]");
  var title = form.querySelector("input[name=title]");
  var preview = document.getElementById("preview");
  var previewTitle = document.getElementById("preview-title");
  var warnings = document.getElementById("warnings");
  var autosaveStatus = form.querySelector(".autosave-status");
  var imageTools = form.querySelector(".image-tools");
  var imageInput = document.getElementById("f-image");
  var imageStatus = form.querySelector(".image-status");
  var publishForm = document.getElementById("publish-form");
  var FIELDS = ["title", "slug", "category", "tags", "error_codes", "audience", "review_by", "note", "body"];
  var composing = false;
  var dirty = false;           // changed since the page loaded (not saved as a revision)
  var unsaved = false;         // changed since the last autosave
  var previewSeq = 0;
  var previewTimer = null;
  var autosaveTimer = null;
  var submitting = false;

  function send(url, method, payload, keepalive) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function fields() {
    var out = {};
    FIELDS.forEach(function (name) {
      var input = form.elements[name];
      out[name] = input ? input.value : "";
    });
    return out;
  }

  function say(node, text, isError) {
    if (!node) return;
    node.textContent = text;
    node.classList.toggle("error", !!isError);
  }

  function showWarnings(list) {
    warnings.textContent = "";
    if (!list.length) {
      var ok = document.createElement("li");
      ok.className = "ok";
      ok.textContent = "没有发现问题。";
      warnings.appendChild(ok);
      return;
    }
    list.forEach(function (w) {
      var li = document.createElement("li");
      li.className = "warning warning-" + w.kind + (w.broken ? " broken" : "");
      li.textContent = w.message;
      warnings.appendChild(li);
    });
  }

  function refreshPreview() {
    var seq = ++previewSeq;
    var data = fields();
    previewTitle.textContent = data.title || "（无标题）";
    send(form.getAttribute("data-preview-url"), "POST", {
      title: data.title, category: data.category, audience: data.audience, body: data.body,
      tags: data.tags, error_codes: data.error_codes, slug: form.getAttribute("data-article") || null
    }).then(function (result) {
      if (seq !== previewSeq) return;  // a newer preview is on its way
      if (!result.ok) {
        if (result.status === 400 && result.data && result.data.fields && result.data.fields.body) {
          showWarnings([{ kind: "body", message: result.data.fields.body }]);
        }
        return;
      }
      preview.innerHTML = result.data.html;  // rendered and sanitised by the server (nh3)
      preview.setAttribute("data-rendered", String(seq));
      showWarnings(result.data.warnings || []);
    }).catch(function () { /* offline: the last preview stays */ });
  }

  function autosave(keepalive) {
    if (!unsaved) return Promise.resolve();
    unsaved = false;
    var base = form.getAttribute("data-base-revision");
    return send(form.getAttribute("data-autosave-url"), "PUT", {
      key: form.getAttribute("data-autosave-key"),
      base_revision: base ? parseInt(base, 10) : null,
      fields: fields()
    }, keepalive).then(function (result) {
      if (result.ok) {
        say(autosaveStatus, "已自动保存（" + result.data.saved_at + "），点击保存后才成为新版本");
      } else {
        unsaved = true;
        say(autosaveStatus, (result.data && result.data.message) || "自动保存失败，请稍后手动保存。", true);
      }
    }).catch(function () {
      unsaved = true;
      say(autosaveStatus, "网络中断，暂时无法自动保存。", true);
    });
  }

  function changed() {
    dirty = true;
    unsaved = true;
    if (composing) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 250);
    clearTimeout(autosaveTimer);
    autosaveTimer = setTimeout(function () { autosave(false); }, 1500);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("compositionstart", function () { composing = true; });
  form.addEventListener("compositionend", function () { composing = false; changed(); });
  form.addEventListener("submit", function () { submitting = true; clearTimeout(autosaveTimer); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !submitting) autosave(true);
  });
  window.addEventListener("pagehide", function () { if (!submitting) autosave(true); });
  window.addEventListener("beforeunload", function (event) {
    if (unsaved && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });
  if (publishForm) {
    publishForm.addEventListener("submit", function (event) {
      if (dirty && !window.confirm("编辑框里有还没保存的修改；发布的是已经保存的版本。仍要发布吗？")) {
        event.preventDefault();
      }
    });
  }

  // --- images: paste, drop, or choose a file -------------------------------------------------
  function insertAtCursor(text) {
    var start = body.selectionStart, end = body.selectionEnd, value = body.value;
    var before = value.slice(0, start), after = value.slice(end);
    var pad = before && !/\n$/.test(before) ? "\n\n" : "";
    body.value = before + pad + text + "\n" + after;
    var caret = (before + pad + text + "\n").length;
    body.setSelectionRange(caret, caret);
    body.focus();
    changed();
  }

  function upload(file) {
    var data = new FormData();
    data.append("image", file, file.name || "paste.png");
    var slug = form.getAttribute("data-article");
    if (slug) data.append("article", slug);
    say(imageStatus, "正在上传 " + (file.name || "图片") + "……");
    return fetch(form.getAttribute("data-images-url"), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf, "Accept": "application/json" }, body: data
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (result) {
        if (response.ok) {
          insertAtCursor(result.markdown);
          say(imageStatus, "已插入图片。");
        } else {
          say(imageStatus, result.message || (response.status === 413 ? "图片太大。" : "上传失败，请重试。"), true);
        }
      });
    }).catch(function () { say(imageStatus, "网络中断，图片没有上传。", true); });
  }

  function imagesOf(list) {
    return Array.prototype.filter.call(list || [], function (f) { return f && /^image\//.test(f.type || ""); });
  }

  if (imageTools) imageTools.hidden = false;
  body.addEventListener("paste", function (event) {
    var files = imagesOf(event.clipboardData && event.clipboardData.files);
    if (!files.length) return;
    event.preventDefault();
    files.reduce(function (p, f) { return p.then(function () { return upload(f); }); }, Promise.resolve());
  });
  body.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types || [], "Files") >= 0) {
      event.preventDefault();
    }
  });
  body.addEventListener("drop", function (event) {
    var files = imagesOf(event.dataTransfer && event.dataTransfer.files);
    if (!files.length) return;
    event.preventDefault();
    files.reduce(function (p, f) { return p.then(function () { return upload(f); }); }, Promise.resolve());
  });
  if (imageInput) {
    imageInput.addEventListener("change", function () {
      var files = Array.prototype.slice.call(imageInput.files || []);
      files.reduce(function (p, f) { return p.then(function () { return upload(f); }); }, Promise.resolve())
        .then(function () { imageInput.value = ""; });
    });
  }
})();
