// The little behaviour Turnout's pages have, kept out of the markup: the Content-Security-Policy
// runs no inline handler (onclick=) and applies no style attribute, so templates say what they
// want with data- attributes and this file does it. Listeners sit on the document, so content
// that htmx swaps in later works the same.
(function () {
  "use strict";

  // Bars and charts: data-width, data-height or data-left hold a CSS length ("40%", "24px").
  // Set through the CSSOM, which the policy allows, where a style="" attribute would be refused.
  const SIZES = {width: "width", height: "height", left: "left"};
  function size(root) {
    const elements = Array.from(root.querySelectorAll("[data-width], [data-height], [data-left]"));
    if (root !== document && root.matches("[data-width], [data-height], [data-left]")) elements.push(root);
    for (const element of elements) {
      for (const [key, property] of Object.entries(SIZES)) {
        if (element.dataset[key] !== undefined) element.style[property] = element.dataset[key];
      }
    }
  }
  size(document);
  // Content added later (htmx's polling swaps) is sized in the same task, before it is first
  // drawn, so a bar does not grow from nothing on every poll.
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) { if (node.nodeType === Node.ELEMENT_NODE) size(node); }
    }
  }).observe(document.documentElement, {childList: true, subtree: true});

  document.addEventListener("change", (event) => {
    const field = event.target;
    // A select that submits its form when changed (a <noscript> button does it without script).
    if (field.matches("select[data-submit-on-change]")) field.form.submit();
    // A select whose options carry data-NAME fills the form's NAME field (data-fills="NAME").
    if (field.matches("select[data-fills]")) {
      const name = field.dataset.fills;
      field.form.elements[name].value = field.selectedOptions[0].dataset[name];
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy], button[data-print]");
    if (!button) return;
    if (button.dataset.print !== undefined) { window.print(); return; }
    // Copy the named field's text; the button says it is done (data-copied).
    const field = document.getElementById(button.dataset.copy);
    field.select();
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(() => {});
    button.textContent = button.dataset.copied;
  });
})();
