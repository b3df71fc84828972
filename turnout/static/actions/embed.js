// Turnout embed snippet: <div data-turnout-embed="https://…/f/<id>/embed/"></div> plus this script.
// Each placeholder becomes a frame that grows to fit the form. No cookies are needed.
(function () {
  var frames = [];
  document.querySelectorAll("[data-turnout-embed]").forEach(function (box) {
    var frame = document.createElement("iframe");
    frame.src = box.getAttribute("data-turnout-embed");
    frame.title = box.getAttribute("data-title") || "Turnout";
    frame.style.cssText = "width:100%;border:0;min-height:480px";
    frame.setAttribute("loading", "lazy");
    box.appendChild(frame);
    frames.push(frame);
  });
  window.addEventListener("message", function (event) {
    var height = event.data && event.data.turnoutHeight;
    if (!height) return;
    frames.forEach(function (frame) {
      if (frame.contentWindow === event.source) frame.style.height = height + 20 + "px";
    });
  });
})();
