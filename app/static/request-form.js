/* The request form: live article suggestions while typing, the article side panel,
   a sessionStorage safety net for what was typed, and a guarded submit.
   Without this script the form still works (the server shows matching articles first). */
(function () {
  "use strict";

  var form = document.getElementById("request-form");
  if (!form) return;

  var DEBOUNCE_MS = 200; // + ~80 ms server and render: shown within ~300 ms of the pause
  var DESCRIPTION_CHARS = 200;
  var DRAFT_KEY = "kb-request-draft";
  var CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
  var LATIN = /[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]/g; // full-width too

  var visit = form.dataset.visit;
  var suggestUrl = form.dataset.suggestUrl;
  var eventsUrl = form.dataset.eventsUrl;
  // A logged-in browser's API writes carry the CSRF token (app/auth.py); anonymous pages have none.
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  function withCsrf(headers) {
    if (csrfMeta) headers["X-CSRFToken"] = csrfMeta.content;
    return headers;
  }
  var subject = document.getElementById("f-subject");
  var description = document.getElementById("f-description");
  var category = document.getElementById("f-category");
  var list = document.getElementById("suggestion-list");
  var live = document.getElementById("suggestions-live");
  var panel = document.getElementById("article-panel");
  var panelTitle = document.getElementById("panel-title");
  var panelBody = document.getElementById("panel-body");
  var panelNewTab = document.getElementById("panel-newtab");
  var panelSlug = document.getElementById("panel-slug");
  var panelSolved = document.getElementById("panel-solved");
  var submitButton = document.getElementById("submit-request");
  var submitStatus = document.getElementById("submit-status");
  var stepInput = document.getElementById("f-step");
  var fileInput = document.getElementById("f-attachments");

  var composing = false;
  var timer = null;
  var seq = 0; // sequence number of the latest suggestion request; older answers are dropped
  var controller = null; // aborts the request a newer one supersedes
  var lastKey = null;
  var lastInputAt = 0;
  var openedFrom = null; // the suggestion link whose article is in the panel

  // The page's script is running: the visitor sees suggestions live, so submitting creates
  // the ticket directly (the no-script path asks "check" first).
  stepInput.value = "submit";

  // --- the text searched ------------------------------------------------------------------
  function squash(text) {
    return (text || "").replace(/\s+/g, " ").trim();
  }
  function queryParts() {
    return {
      subject: squash(subject.value),
      description: squash(description.value).slice(0, DESCRIPTION_CHARS),
      category: category.value || "",
    };
  }
  function longEnough(text) {
    return (text.match(CJK) || []).length >= 2 || (text.match(LATIN) || []).length >= 3;
  }

  function schedule(delay) {
    if (composing) return; // an IME is composing: wait for compositionend
    lastInputAt = performance.now();
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, delay);
  }

  function fetchSuggestions() {
    timer = null;
    if (composing) return;
    var parts = queryParts();
    var text = (parts.subject + " " + parts.description).trim();
    var key = JSON.stringify(parts);
    if (key === lastKey) return;
    lastKey = key;
    if (controller) controller.abort();
    controller = null;
    var mine = ++seq;
    if (!longEnough(text)) {
      render([], mine, true);
      return;
    }
    controller = new AbortController();
    fetch(suggestUrl, {
      method: "POST",
      headers: withCsrf({ "Content-Type": "application/json", Accept: "application/json" }),
      body: JSON.stringify(parts),
      credentials: "same-origin",
      signal: controller.signal,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (mine !== seq) return; // a newer request was sent meanwhile
        render(body.results || [], mine, false);
      })
      .catch(function (error) {
        if (error.name === "AbortError" || mine !== seq) return;
        lastKey = null; // let the next pause try again
        live.textContent = "暂时无法获取推荐文章，您仍然可以直接提交请求。";
      });
  }

  function render(results, mine, tooShort) {
    if (mine !== seq) return;
    list.textContent = "";
    results.forEach(function (hit, i) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = hit.open_url || hit.url;
      a.textContent = hit.title;
      a.className = "suggestion";
      a.dataset.slug = hit.slug;
      a.dataset.url = hit.url;
      a.dataset.index = String(i);
      li.appendChild(a);
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = hit.category + (hit.error_codes && hit.error_codes.length ? " · " + hit.error_codes.join("、") : "");
      li.appendChild(meta);
      if (hit.snippet) {
        var p = document.createElement("p");
        p.className = "snippet";
        p.innerHTML = hit.snippet; // server-made: article text escaped, only <mark> added
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    if (tooShort) {
      live.textContent = "输入标题后，这里会推荐可能解决问题的文章。";
    } else if (results.length) {
      live.textContent = "找到 " + results.length + " 篇可能相关的文章";
    } else {
      live.textContent = "没有找到相关文章，可以继续填写并提交请求。";
    }
    // Phones: the suggestions sit below the whole form, so point to them from the title field.
    var jump = document.getElementById("suggest-jump");
    if (jump) {
      jump.hidden = tooShort || !results.length;
      jump.firstElementChild.textContent = "↓ 找到 " + results.length + " 篇可能有帮助的文章，先看看";
    }
    if (!tooShort && lastInputAt) {
      try {
        performance.measure("kb-suggest", { start: lastInputAt, end: performance.now() });
      } catch (e) { /* old browsers: no timing */ }
    }
    form.dataset.suggestSeq = String(mine);
  }

  [subject, description].forEach(function (field) {
    field.addEventListener("compositionstart", function () {
      composing = true;
      clearTimeout(timer);
    });
    field.addEventListener("compositionend", function () {
      composing = false;
      schedule(DEBOUNCE_MS);
    });
    field.addEventListener("input", function (event) {
      saveDraft();
      if (event.isComposing) return;
      schedule(DEBOUNCE_MS);
    });
  });
  category.addEventListener("change", function () {
    saveDraft();
    schedule(0);
  });
  form.addEventListener("change", saveDraft);

  // --- keyboard: ↓ from the title into the list, ↑/↓ inside it, Esc back -----------------
  function links() {
    return Array.prototype.slice.call(list.querySelectorAll("a.suggestion"));
  }
  subject.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && links().length) {
      event.preventDefault();
      links()[0].focus();
    }
  });
  list.addEventListener("keydown", function (event) {
    var all = links();
    var i = all.indexOf(document.activeElement);
    if (i < 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = event.key === "ArrowDown" ? Math.min(i + 1, all.length - 1) : i - 1;
      if (next < 0) subject.focus();
      else all[next].focus();
    } else if (event.key === "Escape") {
      subject.focus();
    }
  });

  // --- the article side panel --------------------------------------------------------------
  function postEvent(type, slug) {
    return fetch(eventsUrl, {
      method: "POST",
      headers: withCsrf({ "Content-Type": "application/json" }),
      body: JSON.stringify({ type: type, slug: slug }),
      credentials: "same-origin",
      keepalive: true,
    }).catch(function () { /* statistics only */ });
  }

  function articleApiUrl(slug) {
    return "/api/articles/" + slug.split("/").map(encodeURIComponent).join("/");
  }

  // While the panel is open it is a modal dialog: everything else is inert, so Tab cannot wander
  // onto the page it covers (axe/keyboard audit); closing it gives the page back.
  function pageInert(on) {
    for (var node = panel; node && node !== document.body; node = node.parentElement) {
      Array.prototype.forEach.call(node.parentElement.children, function (other) {
        if (other === node) return;
        if (on && !other.inert) {
          other.inert = true;
          other.setAttribute("data-panel-inert", "");
        } else if (!on && other.hasAttribute("data-panel-inert")) {
          other.inert = false;
          other.removeAttribute("data-panel-inert");
        }
      });
    }
  }

  function openPanel(link) {
    var slug = link.dataset.slug;
    saveDraft();
    openedFrom = link;
    panelTitle.textContent = link.textContent;
    panelBody.textContent = "正在加载…";
    panelNewTab.href = link.dataset.url;
    panelSlug.value = slug;
    panel.hidden = false;
    document.body.classList.add("panel-open");
    pageInert(true);
    panelTitle.focus();
    postEvent("opened", slug);
    fetch(articleApiUrl(slug), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (article) {
        if (panelSlug.value !== slug) return;
        panelTitle.textContent = article.title;
        panelBody.innerHTML = article.html; // sanitised on the server (nh3)
      })
      .catch(function () {
        panelBody.textContent = "文章加载失败，请用“在新标签页打开”查看。";
      });
  }

  function closePanel() {
    panel.hidden = true;
    document.body.classList.remove("panel-open");
    pageInert(false);
    panelBody.textContent = "";
    if (openedFrom && document.body.contains(openedFrom)) openedFrom.focus();
    else subject.focus();
  }

  list.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.suggestion") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    openPanel(link);
  });
  document.getElementById("panel-close").addEventListener("click", closePanel);
  document.getElementById("panel-back").addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePanel();
  });
  panelSolved.addEventListener("submit", function () {
    clearDraft(); // solved: nothing to keep
  });

  // --- what was typed survives reloads, errors and wandering off (sessionStorage) ---------
  var DRAFT_FIELDS = ["subject", "description", "category", "impact", "urgency", "contact_name", "contact_email", "contact_phone"];

  function readDraft() {
    try {
      return JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
    } catch (e) {
      return null;
    }
  }
  function saveDraft(submitted) {
    var values = {};
    DRAFT_FIELDS.forEach(function (name) {
      var el = form.elements[name];
      if (!el) return;
      values[name] = el.value || "";
    });
    try {
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ visit: visit, submitted: submitted === true, values: values }));
    } catch (e) { /* private mode or full: the server still keeps what was posted */ }
  }
  function clearDraft() {
    try {
      sessionStorage.removeItem(DRAFT_KEY);
    } catch (e) { /* ignore */ }
  }
  function restoreDraft() {
    var draft = readDraft();
    if (!draft || !draft.values) return;
    if (draft.submitted && draft.visit !== visit) {
      clearDraft(); // that request was sent; this is a new one
      return;
    }
    DRAFT_FIELDS.forEach(function (name) {
      var el = form.elements[name];
      var value = draft.values[name];
      if (!el || !value) return;
      if (el instanceof RadioNodeList || (el.length && !el.tagName)) {
        var anyChecked = Array.prototype.some.call(el, function (r) { return r.checked; });
        if (!anyChecked) el.value = value;
      } else if (!el.value) {
        el.value = value;
      }
    });
  }

  // --- submit: check attachments here first, then one click only ----------------------------
  var errorEl = document.getElementById("attachments-error");
  function fileError(message) {
    errorEl.textContent = message;
    errorEl.hidden = !message;
    var described = (fileInput.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== "attachments-error";
    });
    if (message) {
      described.push("attachments-error");
      fileInput.setAttribute("aria-invalid", "true");
    } else {
      fileInput.removeAttribute("aria-invalid");
    }
    fileInput.setAttribute("aria-describedby", described.join(" "));
  }
  function checkFiles() {
    var files = Array.prototype.slice.call(fileInput.files || []);
    var maxFiles = Number(form.dataset.maxFiles);
    var maxBytes = Number(form.dataset.maxFileBytes);
    var maxRequest = Number(form.dataset.maxRequestBytes);
    var allowed = (form.dataset.accept || "").split(",");
    var total = 0;
    if (files.length > maxFiles) return "最多上传 " + maxFiles + " 个附件，您选择了 " + files.length + " 个。";
    for (var i = 0; i < files.length; i++) {
      var f = files[i];
      var lower = f.name.toLowerCase();
      var ok = allowed.some(function (ext) { return ext && lower.slice(-ext.length) === ext; });
      if (!ok) return "不支持“" + f.name + "”这种文件类型。可上传图片、PDF、文本日志、Word/Excel 或 ZIP 压缩包。";
      if (f.size > maxBytes) return "“" + f.name + "”有 " + (f.size / 1048576).toFixed(1) + " MB，超过了单个附件 " + Math.round(maxBytes / 1048576) + " MB 的上限，请压缩后再上传。";
      if (f.size === 0) return "“" + f.name + "”是空文件，请重新选择。";
      total += f.size;
    }
    if (total > maxRequest - 512 * 1024) return "附件合计太大（一次最多约 " + Math.round(maxRequest / 1048576) + " MB），请减少或压缩附件。";
    return "";
  }
  fileInput.addEventListener("change", function () {
    fileError(checkFiles());
  });

  var submitting = false;
  form.addEventListener("submit", function (event) {
    var problem = checkFiles();
    if (problem) {
      event.preventDefault();
      fileError(problem);
      fileInput.focus();
      return;
    }
    if (submitting) {
      event.preventDefault(); // a double click: the first submit is on its way
      return;
    }
    submitting = true;
    saveDraft(true);
    submitButton.disabled = true;
    submitButton.setAttribute("aria-disabled", "true");
    submitStatus.textContent = "正在提交，请稍候…";
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { // back from the next page: allow another try
      submitting = false;
      submitButton.disabled = false;
      submitButton.removeAttribute("aria-disabled");
      submitStatus.textContent = "";
    }
  });

  // --- start ----------------------------------------------------------------------------
  restoreDraft();
  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
  if (squash(subject.value) || squash(description.value)) fetchSuggestions();
})();
