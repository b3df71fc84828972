// Inside an embedded Turnout page: tell the page around it how tall this is, so it can fit the frame.
(function () {
  function report() {
    if (window.parent !== window) {
      window.parent.postMessage({ turnoutHeight: document.documentElement.scrollHeight }, "*");
    }
  }
  window.addEventListener("load", report);
  new ResizeObserver(report).observe(document.body);
})();
