@preconcurrency import Glibc
import Foundation
import Testing

/// The chat page the real WebSocket gateway serves at `/`, in a real headless Chromium
/// (driven over CDP by Tests/WebAssetsTests/Browser/cdp_harness.py), chatting with TCP
/// members of a real `machat`. What a page shows is read from its DOM.
///
/// Set `MACHAT_WRITE_SCREENSHOT=1` to (re)write the README's docs/screenshot-chat.png.
@Suite(.serialized, .ownThread) struct BrowserPageTests {
    static let skipReason = BrowserSession.unavailableReason.map { "skipping the real-browser tests: \($0)" } ?? ""

    /// Every message the page shows, in order, as `[offset, "name:text"]`.
    static let shownMessages =
        "[...document.querySelectorAll('#messages [data-testid=message]')]"
        + ".map((e) => [Number(e.dataset.offset), e.dataset.name + ':' + e.querySelector('.text').textContent])"
    static let status = "document.querySelector('[data-testid=status]').dataset.state"
    static let notices = "[...document.querySelectorAll('#messages [data-testid=notice]')].map((e) => e.textContent)"

    /// One line as a page shows it.
    struct Shown: Equatable, CustomStringConvertible {
        let offset: Int
        let line: String
        var description: String { "\(offset) \(line)" }
    }

    /// A real `machat` and a real browser for one test; deinit stops the browser first.
    final class Rig {
        let server: MachatProcess
        let browser: BrowserSession

        init(_ arguments: [String] = []) throws {
            server = try MachatProcess(arguments)
            browser = try BrowserSession()
        }

        deinit { browser.quit() }

        var pageURL: String { "http://127.0.0.1:\(server.wsPort)/" }

        /// Opens the page in tab `page` with name and room in the fragment, joins with a real
        /// click and waits until it is online.
        func join(page: String, name: String, room: String) throws {
            try browser.open(pageURL + "#room=\(room)&name=\(name)", page: page)
            try browser.click("[data-testid=join-button]", page: page)
            try browser.wait("\(BrowserPageTests.status) === 'online'", page: page)
        }

        /// Types `text` into the composer and presses Enter; waits until the page has sent it
        /// (the composer empties only when the line went out on the WebSocket).
        func say(_ text: String, page: String) throws {
            try browser.type(text, into: "[data-testid=message-input]", page: page)
            try browser.key("Enter", page: page)
            try browser.wait("document.querySelector('[data-testid=message-input]').value === ''", page: page)
        }

        /// What `page` shows now.
        func shown(page: String) throws -> [Shown] {
            let rows = try browser.eval(BrowserPageTests.shownMessages, page: page) as? [[Any]] ?? []
            return rows.compactMap { row in
                guard row.count == 2, let offset = (row[0] as? NSNumber)?.intValue, let line = row[1] as? String else {
                    return nil
                }
                return Shown(offset: offset, line: line)
            }
        }

        /// Waits until `page` shows every line of `lines` (as `name:text`).
        func waitUntilShown(_ lines: [String], page: String, timeout: Double = 10) throws {
            let wanted = BrowserPageTests.javaScript(lines)
            try browser.wait(
                "((shown) => \(wanted).every((l) => shown.includes(l)))(\(BrowserPageTests.shownMessages).map((m) => m[1]))",
                timeout: timeout, page: page)
        }

        /// Exceptions, dialogs, CSP violations and console errors of `page`, leaving out failed
        /// WebSocket connections to /mychat (expected while a gateway restarts).
        func problems(page: String) throws -> [String] {
            try browser.logs(page: page).compactMap { entry in
                let text = entry["text"] as? String ?? ""
                let kind = entry["kind"] as? String ?? ""
                if kind == "exception" || kind == "dialog" || text.contains("Content Security Policy") { return text }
                if entry["level"] as? String == "error" && !text.contains("/mychat") { return text }
                return nil
            }
        }

        /// Closes the browser and the TCP members, then stops machat; its exit status.
        func stop(hangingUp members: [LineClient]) -> Int32? {
            browser.quit()
            // Without this, the gateway's lingering close would wait for these clients.
            for member in members { shutdown(member.fd.rawValue, Int32(SHUT_RDWR)) }
            return server.stop()
        }
    }

    /// `value` as a JavaScript literal (JSON is one).
    static func javaScript(_ value: Any) -> String {
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    @Test(.enabled(if: BrowserSession.unavailableReason == nil, Comment(rawValue: skipReason)))
    func twoPagesAndATCPMemberSeeEveryLineOnceInTheSameOrder() throws {
        let rig = try Rig()
        let tess = try LineClient.joined(port: rig.server.tcpPort, name: "Tess", room: "dev")
        try rig.join(page: "ana", name: "Ana", room: "dev")
        try rig.join(page: "ben", name: "Ben", room: "dev")

        // Interleaved without waiting for deliveries, so the router really orders them.
        var sent: [String] = []
        for round in 1...4 {
            try rig.say("ana \(round)", page: "ana")
            tess.send("tess \(round)\n")
            try rig.say("ben \(round) <b>&amp;</b> ünïcode", page: "ben")
            sent += ["Ana:ana \(round)", "Tess:tess \(round)", "Ben:ben \(round) <b>&amp;</b> ünïcode"]
        }
        let tcpSaw = tess.readLines(sent.count, timeout: 10)
        #expect(tcpSaw.count == sent.count, "TCP got \(tcpSaw)")
        #expect(Set(tcpSaw) == Set(sent))
        for sender in ["Ana", "Tess", "Ben"] {
            #expect(tcpSaw.filter { $0.hasPrefix(sender + ":") } == sent.filter { $0.hasPrefix(sender + ":") })
        }

        var views: [[Shown]] = []
        for page in ["ana", "ben"] {
            try rig.waitUntilShown(sent, page: page)
            let shown = try rig.shown(page: page)
            // Each page also shows Tess's join probe from history, once, before everything else.
            #expect(shown.count == sent.count + 1, "\(page) shows \(shown)")
            #expect(shown.first?.line.hasPrefix("Tess:probe-") == true)
            #expect(Array(shown.dropFirst().map(\.line)) == tcpSaw, "\(page): same lines, same order as TCP")
            #expect(shown.map(\.offset) == Array(1...(sent.count + 1)), "\(page): offsets without gap or repeat")
            views.append(shown)
            #expect(try rig.problems(page: page).isEmpty)
        }
        #expect(views[0] == views[1], "both pages agree line by line")
        // The page marks its own member's lines.
        #expect(try rig.browser.eval("document.querySelectorAll('.msg.mine').length", page: "ana") as? Int == 4)
        #expect(rig.stop(hangingUp: [tess]) == 0)
    }

    @Test(.enabled(if: BrowserSession.unavailableReason == nil, Comment(rawValue: skipReason)))
    func aPageShowsTheRoomsHistoryWhenItLoads() throws {
        let rig = try Rig()
        let tess = try LineClient.joined(port: rig.server.tcpPort, name: "Tess", room: "dev")
        let before = (1...6).map { "said before the page opened \($0)" }
        for line in before { tess.send(line + "\n") }
        #expect(tess.readLines(before.count) == before.map { "Tess:" + $0 }, "the router has them all")

        try rig.join(page: "main", name: "Mina", room: "dev")
        try rig.waitUntilShown(before.map { "Tess:" + $0 }, page: "main")
        let shown = try rig.shown(page: "main")
        #expect(shown.dropFirst().map(\.line) == before.map { "Tess:" + $0 }, "history in order: \(shown)")
        #expect(shown.map(\.offset) == Array(1...7))
        // Live lines follow the history without a gap.
        tess.send("live after the page opened\n")
        try rig.waitUntilShown(["Tess:live after the page opened"], page: "main")
        #expect(try rig.shown(page: "main").last == Shown(offset: 8, line: "Tess:live after the page opened"))
        #expect(try rig.problems(page: "main").isEmpty)
        #expect(rig.stop(hangingUp: [tess]) == 0)
    }

    @Test(.enabled(if: BrowserSession.unavailableReason == nil, Comment(rawValue: skipReason)))
    func aPageReconnectsByItselfAfterItsGatewayIsKilledAndShowsWhatItMissedOnce() throws {
        let rig = try Rig()
        let tess = try LineClient.joined(port: rig.server.tcpPort, name: "Tess", room: "dev")
        try rig.join(page: "main", name: "Mina", room: "dev")
        tess.send("before the kill\n")
        try rig.waitUntilShown(["Tess:before the kill"], page: "main")
        // Every status the page shows from now on, as "state|text".
        try rig.browser.eval(
            """
            (() => { const s = document.querySelector('[data-testid=status]'); window.statusLog = [];
              new MutationObserver(() => statusLog.push(s.dataset.state + '|' + s.textContent))
                .observe(s, {attributes: true, childList: true, characterData: true, subtree: true}); })()
            """, page: "main")

        let gateways = rig.server.children(named: "machat-ws-gateway")
        try #require(gateways.count == 1, "one WebSocket gateway: \(gateways)")
        kill(gateways[0], SIGKILL)
        let missed = (1...3).map { "while the page was away \($0)" }
        for line in missed { tess.send(line + "\n") }
        let reconnecting = try rig.browser.wait(
            "statusLog.find((s) => s.startsWith('reconnecting|'))", timeout: 10, page: "main")
        let text = (reconnecting as? String)?.dropFirst("reconnecting|".count) ?? ""
        #expect(text.contains("Reconnecting") || text.contains("retrying"), "the page says so: \(text)")
        let meanwhile = (1...3).map { "while it reconnects \($0)" }
        for line in meanwhile { tess.send(line + "\n") }

        let expected = ["Tess:before the kill"] + (missed + meanwhile).map { "Tess:" + $0 }
        #expect(tess.readLines(expected.count) == expected, "TCP is not affected by the WebSocket gateway")
        try rig.waitUntilShown(expected, page: "main", timeout: 15)
        try rig.browser.wait("\(Self.status) === 'online'", page: "main")
        #expect(
            MachatProcess.wait(timeout: 10) { rig.server.children(named: "machat-ws-gateway").contains { $0 != gateways[0] } },
            "machat restarted the gateway")
        let shown = try rig.shown(page: "main")
        #expect(shown.dropFirst().map(\.line) == expected, "every line once, in order: \(shown)")
        #expect(shown.map(\.offset) == Array(1...(expected.count + 1)))
        let notices = (try rig.browser.eval(Self.notices, page: "main") as? [String]) ?? []
        #expect(!notices.contains { $0.contains("missing") }, "the resume recovered everything: \(notices)")

        // And it is a working member again.
        try rig.say("back again", page: "main")
        #expect(tess.readLine() == "Mina:back again")
        #expect(try rig.problems(page: "main").isEmpty)
        #expect(rig.stop(hangingUp: [tess]) == 0)
    }

    @Test(.enabled(if: BrowserSession.unavailableReason == nil, Comment(rawValue: skipReason)))
    func markupFromATCPMemberIsShownAsTextAndNeverRuns() throws {
        let rig = try Rig()
        let tess = try LineClient.joined(port: rig.server.tcpPort, name: "Tess", room: "dev")
        try rig.join(page: "main", name: "Mina", room: "dev")
        let images = try rig.browser.eval("document.images.length", page: "main") as? Int
        let payloads = [
            "<img src=x onerror=alert(1)>",
            "<script>alert(2)</script><b onmouseover=alert(3)>bold</b>",
            "\"><svg onload=alert(4)> javascript:alert(5)",
        ]
        for payload in payloads { tess.send(payload + "\n") }
        tess.send("after the markup\n")
        try rig.waitUntilShown(payloads.map { "Tess:" + $0 } + ["Tess:after the markup"], page: "main")

        let texts = "[...document.querySelectorAll('#messages [data-testid=message] .text')]"
        #expect(
            (try rig.browser.eval("\(texts).map((e) => e.textContent)", page: "main") as? [String] ?? []).dropFirst()
                .elementsEqual(payloads + ["after the markup"]))
        #expect(
            try rig.browser.eval(
                "\(texts).every((e) => [...e.childNodes].every((n) => n.nodeType === Node.TEXT_NODE))", page: "main")
                as? Bool == true, "only text nodes, no elements")
        #expect(
            try rig.browser.eval(
                "document.querySelectorAll('#messages img, #messages script, #messages svg, #messages b').length", page: "main")
                as? Int == 0)
        #expect(try rig.browser.eval("document.images.length", page: "main") as? Int == images, "no img element anywhere")
        #expect(
            try rig.browser.eval(
                "performance.getEntriesByType('resource').some((e) => new URL(e.name).pathname === '/x')", page: "main")
                as? Bool == false, "nothing tried to load src=x")
        let problems = try rig.problems(page: "main")
        #expect(problems.isEmpty, "no dialog, no exception, no CSP violation: \(problems)")
        #expect(rig.stop(hangingUp: [tess]) == 0)
    }

    @Test(.enabled(if: BrowserSession.unavailableReason == nil, Comment(rawValue: skipReason)))
    func aScreenshotOfThePageInUseIsAPNG() throws {
        let rig = try Rig()
        let writesDocs = ProcessInfo.processInfo.environment["MACHAT_WRITE_SCREENSHOT"] == "1"
        let path: String
        if writesDocs {
            let docs = BrowserSession.repositoryRoot + "/docs"
            try FileManager.default.createDirectory(atPath: docs, withIntermediateDirectories: true)
            path = docs + "/screenshot-chat.png"
        } else {
            path = rig.browser.scratch + "/screenshot-chat.png"
        }

        // History from Bo (no probe: his first line confirms the join).
        let bo = try LineClient(port: rig.server.tcpPort, name: "Bo", room: "dev")
        let history = [
            "Morning! The release candidate is on staging.",
            "Last night's load test: 6.5M deliveries/s, nothing lost, nothing out of order.",
        ]
        for line in history { bo.send(line + "\n") }
        #expect(bo.readLines(history.count) == history.map { "Bo:" + $0 })

        // Emulation set on the blank tab stays for the page it navigates to.
        try rig.browser.open("about:blank", page: "main")
        try rig.browser.viewport(width: 1100, height: 700, page: "main")
        try rig.browser.colorScheme("light", page: "main")
        try rig.join(page: "main", name: "Mina", room: "dev")
        try rig.say("Great numbers. I'll try the page on my phone too.", page: "main")
        let cy = try LineClient(port: rig.server.tcpPort, name: "Cy", room: "dev")
        try rig.browser.wait("\(Self.notices).includes('Cy joined')", page: "main")
        let later = [
            ("Cy", "Release notes draft: https://example.com/machat/releases/0.9 (comments welcome)"),
            ("Bo", "Reading them now."),
            ("Bo", "Rolling restart on staging went fine, no client noticed."),
        ]
        for (name, line) in later { (name == "Cy" ? cy : bo).send(line + "\n") }
        try rig.waitUntilShown(later.map { "\($0.0):\($0.1)" }, page: "main")
        try rig.say("Looks good to me. Ship it on Thursday?", page: "main")
        try rig.waitUntilShown(["Mina:Looks good to me. Ship it on Thursday?"], page: "main")
        try rig.browser.wait(
            "document.querySelectorAll('#messages a[href^=\"https://example.com/\"]').length === 1", page: "main")
        try rig.browser.wait("document.fonts.ready.then(() => true)", page: "main")

        let bytes = try rig.browser.screenshot(to: path, page: "main")
        let png = try #require(FileManager.default.contents(atPath: path))
        #expect(png.count == bytes && bytes > 10_000, "\(bytes) bytes")
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        // The first chunk is IHDR with the width and height (PNG §11.2.2): the whole viewport.
        #expect(Array(png[12..<16]) == Array("IHDR".utf8))
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1100 && height == 700, "\(width)x\(height)")
        #expect(try rig.problems(page: "main").isEmpty)
        if writesDocs { print("wrote \(path) (\(bytes) bytes)") }
        #expect(rig.stop(hangingUp: [bo, cy]) == 0)
    }
}
