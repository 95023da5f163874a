/* Adds the page's CSRF token to our own fetch() calls that change something.
   The token comes from <meta name="csrf-token"> in base.html; Flask-WTF reads the
   X-CSRFToken header. Only same-origin requests get it, so it never leaks elsewhere. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta || !window.fetch) { return; }
  var token = meta.getAttribute("content");
  var safe = /^(GET|HEAD|OPTIONS|TRACE)$/i;
  var originalFetch = window.fetch;

  function sameOrigin(url) {
    return new URL(url, window.location.href).origin === window.location.origin;
  }

  window.fetch = function (input, init) {
    init = init || {};
    var method = init.method || (input instanceof Request ? input.method : "GET");
    var url = input instanceof Request ? input.url : String(input);
    if (!safe.test(method) && sameOrigin(url)) {
      var headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
      if (!headers.has("X-CSRFToken")) { headers.set("X-CSRFToken", token); }
      init.headers = headers;
    }
    return originalFetch.call(this, input, init);
  };
  window.wanjiaCsrfToken = token;
}());
