/* Site-wide UI: the large-text switch (适老化) in the header.
   Without JavaScript the switch is a GET form to /text-size, which sets the cookie and comes
   back; here it flips the class on <html> in place and writes the same cookie, so the next
   page is rendered large by the server (no flash of small text). */
(function () {
  "use strict";
  var COOKIE = "text_size";
  var YEAR = 365 * 86400;

  function isLarge() {
    return document.cookie.split("; ").indexOf(COOKIE + "=large") !== -1;
  }

  function remember(large) {
    var secure = window.location.protocol === "https:" ? "; secure" : "";
    document.cookie = COOKIE + "=" + (large ? "large; max-age=" + YEAR : "; max-age=0") +
      "; path=/; samesite=lax" + secure;
  }

  function show(form, large) {
    document.documentElement.classList.toggle("large-text", large);
    form.querySelector("button").setAttribute("aria-pressed", large ? "true" : "false");
    form.querySelector("input[name=large]").value = large ? "0" : "1";
  }

  function init() {
    var form = document.querySelector("form.text-size");
    if (!form) { return; }
    // A page served from a cache may predate the last switch: follow the cookie.
    show(form, isLarge());
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var large = !document.documentElement.classList.contains("large-text");
      remember(large);
      show(form, large);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
