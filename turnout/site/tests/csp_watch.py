"""What the Content-Security-Policy blocked in the browser tests' pages, so that any test fails on it.

Chromium logs every refusal as a console error and fires `securitypolicyviolation` in the page;
both are caught, in every frame of every page of a watched browser context."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, ConsoleMessage

# Reports each violation on the console, which Playwright's scripts can write despite the policy.
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => console.error(
  `CSP violation: ${event.effectiveDirective} refused ${event.blockedURI || "inline"} ` +
  `at ${event.sourceFile || event.documentURI}:${event.lineNumber}`));"""

violations: list[str] = []


def _record(message: ConsoleMessage) -> None:
    text = message.text
    if message.type == "error" and ("Content Security Policy" in text or text.startswith("CSP violation")):
        violations.append(f"{message.page.url if message.page else '?'}: {text}")


def watch(context: BrowserContext) -> BrowserContext:
    """Record in `violations` whatever the policy refuses in this context's pages."""
    context.add_init_script(REPORT_VIOLATIONS)
    context.on("console", _record)
    return context


def take() -> list[str]:
    """The violations seen so far, forgetting them."""
    seen = violations.copy()
    violations.clear()
    return seen
