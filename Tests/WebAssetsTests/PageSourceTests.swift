import Foundation
import Testing

/// Static checks of the page's sources in web/: the script parses, and nothing the
/// Content-Security-Policy forbids (inline script or style, handlers) or that would turn
/// network text into markup is there.
@Suite struct PageSourceTests {
    func source(_ name: String) throws -> String {
        try String(contentsOfFile: Tooling.webDirectory + "/" + name, encoding: .utf8)
    }

    @Test(.enabled(if: Tooling.node != nil, "node is not installed; skipping the JavaScript syntax check of web/app.js"))
    func appScriptParsesWithNode() throws {
        let result = try Tooling.run([Tooling.node ?? "node", "--check", Tooling.webDirectory + "/app.js"])
        #expect(result.status == 0, "node --check web/app.js: \(result.output)")
    }

    @Test func pageHasNoInlineScriptStyleOrEventHandlers() throws {
        let page = try source("index.html")
        for script in page.matches(of: /<script\b[^>]*>/) {
            #expect(script.output.contains("src=\"/"), "every script is a same-origin file: \(script.output)")
        }
        #expect(page.matches(of: /<script\b[^>]*>\s*[^<\s]/).isEmpty, "no inline script")
        #expect(page.firstMatch(of: /<style\b/) == nil, "no style element")
        #expect(page.firstMatch(of: /\sstyle\s*=/) == nil, "no style attribute")
        #expect(page.firstMatch(of: /\son[a-z]+\s*=/) == nil, "no inline event handler")
        #expect(page.firstMatch(of: /javascript:/) == nil)
    }

    @Test func scriptNeverParsesTextAsMarkupOrCode() throws {
        let script = try source("app.js")
        for forbidden in [
            "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('on",
            "setAttribute(\"on", "createContextualFragment", "DOMParser", ".style.", "setAttribute('style",
        ] {
            let uses = script.contains(forbidden)
            #expect(!uses, "app.js uses \(forbidden)")
        }
        let safeLinks = script.contains("rel: 'noopener noreferrer'") && script.contains("target: '_blank'")
        #expect(safeLinks, "links open with rel=noopener noreferrer and target=_blank")
        let httpOnly = script.contains("parsed.protocol === 'http:' || parsed.protocol === 'https:'")
        #expect(httpOnly, "only http and https URLs become links")
    }

    @Test func elementsBrowserTestsDriveHaveStableTestIDs() throws {
        let page = try source("index.html")
        for id in [
            "name-input", "room-input", "join-button", "join-error", "message-list", "member-list", "status", "message-input",
            "send-button", "members-toggle", "leave-button", "announcer",
        ] {
            let found = page.contains("data-testid=\"\(id)\"")
            #expect(found, "data-testid=\(id)")
        }
        let script = try source("app.js")
        let offsets = script.contains("li.dataset.offset = String(offset)")
        #expect(offsets, "each message carries data-offset")
        let live = page.contains("aria-live=\"polite\"")
        #expect(live, "new messages are announced politely")
    }

    @Test func stylesFollowTheSystemSchemeFitPhonesAndWrapLongLines() throws {
        let css = try source("app.css")
        for needed in ["@media (prefers-color-scheme: dark)", "@media (max-width:", "overflow-wrap: anywhere", ":focus-visible"] {
            let found = css.contains(needed)
            #expect(found, "app.css has \(needed)")
        }
        for unwanted in ["@import", "url(http", "url(//"] {
            let found = css.contains(unwanted)
            #expect(!found, "app.css loads nothing else (\(unwanted))")
        }
    }
}
