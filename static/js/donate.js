/* Wanjia giving pages: the live fee-cover figure on the donate form, and the card payment
   step (Stripe.js card element + confirmCardPayment). No inline scripts: the CSP forbids them. */
(function () {
  "use strict";

  function feeCover(fen, bps, fixed) {
    // Same rule as donate.services.fee_cover_for: round up to the whole fen.
    return Math.ceil((fen * bps) / 10000) + fixed;
  }

  function fenFromText(text) {
    var m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
    if (!m) { return null; }
    return parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  }

  function setupDonateForm(form) {
    var bps = parseInt(form.dataset.feeBps, 10) || 0;
    var fixed = parseInt(form.dataset.feeFixed, 10) || 0;
    var out = form.querySelector(".fee-live");
    function update() {
      var picked = form.querySelector("input[name=preset]:checked");
      var fen = picked && picked.value !== "custom" ? parseInt(picked.dataset.fen, 10)
        : fenFromText(form.querySelector("[name=custom_amount]").value);
      out.textContent = fen ? out.dataset.label + " ¥" + (feeCover(fen, bps, fixed) / 100).toFixed(2) : "";
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  // -- matching: "your ¥100 becomes ¥200", refreshed from /c/<slug>/match-preview --
  function yuanText(fen) {
    var minor = String(fen % 100);
    return Math.floor(fen / 100) + "." + (minor.length < 2 ? "0" + minor : minor);
  }

  function setupMatchPreview(form) {
    var line = document.getElementById("match-preview");
    if (!line || !line.dataset.url) { return; }
    var timer = null, asked = 0;
    function pickedFen() {
      var picked = form.querySelector("input[name=preset]:checked");
      return picked && picked.value !== "custom" ? parseInt(picked.dataset.fen, 10)
        : fenFromText(form.querySelector("[name=custom_amount]").value);
    }
    function refresh() {
      var fen = pickedFen();
      if (!fen) { line.textContent = ""; return; }
      var designation = form.querySelector("input[name=designation]:checked");
      var url = line.dataset.url + (line.dataset.url.indexOf("?") < 0 ? "?" : "&") + new URLSearchParams({
        amount: yuanText(fen), designation: designation ? designation.value : ""
      });
      var mine = ++asked;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (resp) { return resp.ok ? resp.json() : { text: "" }; })
        .then(function (body) { if (mine === asked) { line.textContent = body.text || ""; } })
        .catch(function () { /* the line simply stays as it was */ });
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 300); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  // The card becomes a token in the browser (Stripe.js; localstripe's stand-in locally), the
  // server confirms the PaymentIntent with it, and Stripe.js finishes 3-D Secure if asked.
  function sendToken(form, tokenId) {
    var body = new URLSearchParams({ card_token: tokenId, csrf_token: form.dataset.csrfToken });
    return fetch(form.dataset.confirmUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": form.dataset.csrfToken }
    }).then(function (resp) { return resp.json(); });
  }

  function setupPayment(form) {
    var stripe = window.Stripe(form.dataset.publishableKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("pay-button");
    function fail(message) {
      errors.textContent = message;
      button.disabled = false;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      errors.textContent = "";
      stripe.createToken(card).then(function (result) {
        if (result.error) { throw result.error; }
        return sendToken(form, result.token.id);
      }).then(function (answer) {
        if (answer.error) { throw { message: answer.error }; }
        if (answer.status === "requires_action") {
          return stripe.confirmCardPayment(answer.client_secret).then(function (done) {
            if (done.error) { throw done.error; }
            return answer.next;
          });
        }
        return answer.next;
      }).then(function (next) {
        window.location.assign(next);
      }).catch(function (err) {
        fail((err && err.message) || String(err));
      });
    });
  }

  var donateForm = document.querySelector("form.donate-form");
  if (donateForm) { setupDonateForm(donateForm); setupMatchPreview(donateForm); }
  var payForm = document.getElementById("payment-form");
  if (payForm && window.Stripe) { setupPayment(payForm); }
})();
