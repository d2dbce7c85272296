/* 「这篇文章对您有帮助吗？」 without page reloads.
 *
 * The panel works as plain forms without this script; here the votes and reasons go to
 * POST /api/articles/<slug>/feedback (JSON, "escalate": false — a vote never creates a ticket
 * by itself), the reasons appear after 没有帮助, and 「转人工处理」 appears as soon as
 * 没有解决我的问题 is picked, with the comment already written as the start of its 问题描述; after
 * any other reason (步骤看不懂 …) a 「转人工处理」 link to /escalate/<slug> stays on offer. The
 * escalation form itself is still a normal form post: it lands on the new ticket's page.
 */
(function () {
  "use strict";
  var panel = document.getElementById("feedback");
  if (!panel || !window.fetch) return;
  var api = panel.getAttribute("data-api");
  var query = panel.getAttribute("data-query") || "";
  // A logged-in browser's API writes carry the CSRF token (app/auth.py); anonymous pages have none.
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  function withCsrf(headers) {
    if (csrfMeta) headers["X-CSRFToken"] = csrfMeta.content;
    return headers;
  }
  var voteForm = panel.querySelector("form.fb-vote");
  var whyForm = panel.querySelector("form.fb-why");
  var escalate = panel.querySelector(".fb-escalate");
  var moreHelp = panel.querySelector(".fb-more-help");
  var status = panel.querySelector(".fb-status");
  var yes = panel.querySelector(".fb-yes");
  var no = panel.querySelector(".fb-no");
  var count = panel.querySelector(".fb-helpful-count");
  var comment = whyForm ? whyForm.querySelector("textarea[name=comment]") : null;
  var busy = false;

  function say(text, isError) {
    status.textContent = "";
    var span = document.createElement("span");
    if (isError) span.className = "error";
    span.textContent = text;
    status.appendChild(span);
  }

  function clearFieldErrors() {
    whyForm.querySelectorAll(".fb-js-error").forEach(function (el) { el.remove(); });
    whyForm.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function fieldError(name, text) {
    var input = whyForm.querySelector("[name=" + name + "]");
    var p = document.createElement("p");
    p.className = "field-error error fb-js-error";
    p.id = "fb-js-" + name + "-err";
    p.textContent = text;
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", p.id);
      (input.closest("fieldset") || input.parentNode).appendChild(p);
      input.focus();
    } else {
      whyForm.appendChild(p);
    }
  }

  function send(body) {
    body.query = query;
    body.escalate = false;
    return fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: withCsrf({ "Content-Type": "application/json", "Accept": "application/json" }),
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function pressed(helpful) {
    yes.setAttribute("aria-pressed", helpful === true ? "true" : "false");
    no.setAttribute("aria-pressed", helpful === false ? "true" : "false");
  }

  function showEscalate() {
    var picked = whyForm.querySelector("input[name=reason]:checked");
    var on = !!picked && picked.value === "not_solved";
    escalate.hidden = !on;
    return on;
  }

  function failed(result) {
    var message = (result.data && result.data.message) || "提交失败，请检查网络后重试。";
    say(message, true);
  }

  function vote(helpful) {
    if (busy) return;
    busy = true;
    send({ helpful: helpful }).then(function (result) {
      busy = false;
      if (!result.ok) return failed(result);
      pressed(helpful);
      if (count && typeof result.data.helpful === "number") count.textContent = String(result.data.helpful);
      if (helpful) {
        whyForm.hidden = true;
        escalate.hidden = true;
        if (moreHelp) moreHelp.hidden = true;
        say("感谢您的反馈！");
      } else {
        whyForm.hidden = false;
        showEscalate();
        say("请告诉我们哪里不满意，帮助我们改进这篇文章。");
        var first = whyForm.querySelector("input[name=reason]:checked") || whyForm.querySelector("input[name=reason]");
        if (first) first.focus();
      }
    }, function () { busy = false; say("提交失败，请检查网络后重试。", true); });
  }

  voteForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = event.submitter || document.activeElement;
    vote(!(button && button.value === "0"));
  });

  whyForm.addEventListener("change", function (event) {
    if (event.target && event.target.name === "reason") showEscalate();
  });

  whyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    clearFieldErrors();
    var picked = whyForm.querySelector("input[name=reason]:checked");
    busy = true;
    send({ helpful: false, reason: picked ? picked.value : null, comment: comment ? comment.value : "" })
      .then(function (result) {
        busy = false;
        if (!result.ok) {
          var fields = (result.data && result.data.fields) || {};
          var names = Object.keys(fields);
          if (names.length) { names.forEach(function (n) { fieldError(n, fields[n]); }); return; }
          return failed(result);
        }
        pressed(false);
        if (showEscalate()) {
          if (moreHelp) moreHelp.hidden = true;
          say("已收到。如果需要人工帮助，请在下方填写情况后提交给服务台。");
          var details = escalate.querySelector("textarea[name=description]");
          // What they wrote about the article is where the description starts: nothing typed twice.
          if (details && !details.value.trim() && comment && comment.value.trim()) details.value = comment.value;
          if (details) details.focus();
        } else {
          say("已收到，谢谢！我们会据此改进这篇文章。");
          if (moreHelp) moreHelp.hidden = false;   // 步骤看不懂 and the rest may still need a person
        }
      }, function () { busy = false; say("提交失败，请检查网络后重试。", true); });
  });

  // The comment typed in the reasons form travels with the escalation.
  var escalateForm = escalate ? escalate.querySelector("form") : null;
  if (escalateForm && comment) {
    escalateForm.addEventListener("submit", function () {
      var carry = escalateForm.querySelector("input.fb-carry-comment");
      if (carry && !carry.value) carry.value = comment.value;
    });
  }
})();
