import Foundation
import Testing
import WebAssets

/// The page in a real headless Chromium (driven over CDP by Browser/cdp_harness.py), served
/// with `WebSite`'s exact responses by the mock gateway in Browser/mock_chat_server.py.
/// Screenshots go to `MACHAT_SCREENSHOT_DIR` when it is set, else to the test's scratch directory.
@Suite(.serialized) struct BrowserChatTests {
    static let skipReason = Tooling.browserUnavailableReason.map { "skipping the real-browser tests: \($0)" } ?? ""

    static let messageOffsets =
        "[...document.querySelectorAll('#messages [data-testid=message]')].map((e) => Number(e.dataset.offset))"
    static let memberNames = "[...document.querySelectorAll('#members [data-testid=member]')].map((e) => e.dataset.name)"
    static let notices = "[...document.querySelectorAll('#messages [data-testid=notice]')].map((e) => e.textContent)"
    static let status = "document.querySelector('[data-testid=status]').dataset.state"

    /// Everything a test starts; deinit order (browser, then mock, then files) leaves nothing behind.
    final class Rig {
        let scratch: ScratchDirectory
        let mock: MockChatServer
        let browser: BrowserHarness

        init(token: String? = nil) throws {
            scratch = try ScratchDirectory()
            mock = try MockChatServer(site: WebSite(), scratch: scratch.path, token: token)
            browser = try BrowserHarness(scratch: scratch.path)
        }

        deinit {
            browser.quit()
            mock.stop()
        }

        var screenshotDirectory: String {
            ProcessInfo.processInfo.environment["MACHAT_SCREENSHOT_DIR"] ?? scratch.path
        }

        /// Console errors, exceptions, CSP violations and dialogs, leaving out the failed
        /// WebSocket handshakes the mock causes on purpose while it refuses connections.
        func problems(page: String = "main") throws -> [String] {
            try browser.logs(page: page).compactMap { entry in
                let text = entry["text"] as? String ?? ""
                let kind = entry["kind"] as? String ?? ""
                let level = entry["level"] as? String ?? ""
                if kind == "exception" || kind == "dialog" || text.contains("Content Security Policy") { return text }
                if level == "error" && !text.contains("/mychat") { return text }
                return nil
            }
        }
    }

    static func ints(_ value: Any?) -> [Int] {
        (value as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? []
    }

    static func strings(_ value: Any?) -> [String] {
        (value as? [Any])?.compactMap { $0 as? String } ?? []
    }

    /// JavaScript for the element with `data-testid` `id`.
    static func element(_ id: String) -> String {
        "document.querySelector('[data-testid=\(id)]')"
    }

    @Test(.enabled(if: Tooling.browserUnavailableReason == nil, Comment(rawValue: skipReason)))
    func pageJoinsWithHistoryChatsAndShowsMarkupAsText() throws {
        let rig = try Rig()
        let (mock, browser) = (rig.mock, rig.browser)
        // 120 lines before anyone joins: the page asks for 100 and shows 21...120.
        try mock.say(room: "dev", name: "Bo", lines: (1...120).map { "history line \($0)" })
        try mock.member(room: "dev", name: "Bo", present: true)
        try browser.open(mock.url + "#room=dev&name=Mina")
        try browser.viewport(width: 1280, height: 800)

        // Prefilled from the fragment, focus on Join: Enter alone joins.
        #expect(
            Self.strings(
                try browser.eval(
                    "[\(Self.element("name-input")).value, \(Self.element("room-input")).value, document.activeElement.dataset.testid]"
                ))
                == ["Mina", "dev", "join-button"])
        try browser.key("Enter")
        let join = try #require(
            mock.event("join", where: { $0["name"] as? String == "Mina" }), "mock stderr: \(mock.errorOutput)")
        let request = try #require(join["request"] as? [String: Any])
        #expect(request["format"] as? String == "json")
        #expect((request["history"] as? NSNumber)?.intValue == 100)
        #expect(request["presence"] as? Bool == true)
        #expect(request["since"] == nil && request["epoch"] == nil, "a fresh join does not resume")
        try browser.wait("\(Self.status) === 'online'")
        try browser.wait("\(Self.messageOffsets).length === 100")
        #expect(Self.ints(try browser.eval(Self.messageOffsets)) == Array(21...120))
        #expect(Self.strings(try browser.eval(Self.memberNames)) == ["Bo", "Mina"])
        #expect(try browser.eval("document.activeElement.dataset.testid") as? String == "message-input")
        #expect(try browser.eval("location.hash") as? String == "#room=dev")
        #expect(try browser.eval("localStorage.getItem('machat.name')") as? String == "Mina")

        // Typing and Enter sends; the server's echo is shown once, marked as the user's own.
        try browser.type("hello from the browser", into: "[data-testid=message-input]")
        try browser.key("Enter")
        let said = try #require(mock.event("say", where: { $0["name"] as? String == "Mina" }))
        #expect(said["text"] as? String == "hello from the browser")
        try browser.wait("document.querySelector('[data-offset=\"121\"].mine')")
        #expect(try browser.eval("\(Self.element("message-input")).value") as? String == "")
        #expect(
            try browser.eval("document.querySelector('[data-offset=\"121\"] .text').textContent") as? String
                == "hello from the browser")

        // Markup from the network is text: no element is created and nothing runs.
        let payloads = [
            "<img src=x onerror=alert(1)>",
            "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script><b>bold</b>",
        ]
        let offsets = try mock.say(room: "dev", name: "Bo", lines: payloads)
        try browser.wait("document.querySelector('[data-offset=\"\(offsets[1])\"]')")
        for (offset, payload) in zip(offsets, payloads) {
            let text = "document.querySelector('[data-offset=\"\(offset)\"] .text')"
            #expect(try browser.eval("\(text).textContent") as? String == payload)
            #expect(
                try browser.eval("[...\(text).childNodes].every((n) => n.nodeType === Node.TEXT_NODE)") as? Bool == true)
        }
        #expect(try browser.eval("document.querySelectorAll('#messages img, #messages script, #messages b').length") as? Int == 0)
        #expect(try browser.eval("document.title") as? String == "#dev · MaChat")
        // The live line from Bo was announced to screen readers.
        try browser.wait("document.querySelector('[data-testid=announcer]').textContent.includes('<b>bold</b>')")

        // http(s) URLs become safe links; other schemes stay text; long words wrap.
        let link = try mock.say(
            room: "dev", name: "Bo",
            lines: ["docs at https://example.com/a_(b). and javascript:alert(1) too " + String(repeating: "w", count: 600)])[0]
        let anchors = "[...document.querySelectorAll('[data-offset=\"\(link)\"] a')]"
        try browser.wait("\(anchors).length === 1")
        #expect(
            Self.strings(try browser.eval("\(anchors).flatMap((a) => [a.href, a.rel, a.target, a.textContent])"))
                == ["https://example.com/a_(b)", "noopener noreferrer", "_blank", "https://example.com/a_(b)"])
        #expect(
            try browser.eval("document.querySelector('#messages').scrollWidth <= document.querySelector('#messages').clientWidth")
                as? Bool == true, "a 600-character word wraps instead of widening the page")

        // Presence: a member arrives and leaves; the list and notices follow.
        try mock.member(room: "dev", name: "Cy", present: true)
        try browser.wait("\(Self.memberNames).join() === 'Bo,Cy,Mina'")
        try mock.member(room: "dev", name: "Cy", present: false)
        try browser.wait("\(Self.memberNames).join() === 'Bo,Mina'")
        #expect(Self.strings(try browser.eval(Self.notices)) == ["Cy joined", "Cy left"])

        try browser.screenshot(to: rig.screenshotDirectory + "/chat-wide-light.png")
        let problems = try rig.problems()
        #expect(problems.isEmpty, "console: \(problems)")
    }

    @Test(.enabled(if: Tooling.browserUnavailableReason == nil, Comment(rawValue: skipReason)))
    func pageReconnectsAndResumesWithoutLosingOrRepeatingALine() throws {
        let rig = try Rig()
        let (mock, browser) = (rig.mock, rig.browser)
        try mock.say(room: "dev", name: "Bo", lines: (1...5).map { "before \($0)" })
        try browser.open(mock.url + "#room=dev&name=Mina")
        try browser.click("[data-testid=join-button]")
        try browser.wait("\(Self.status) === 'online' && \(Self.messageOffsets).length === 5")
        let epoch = try #require(try mock.state(room: "dev")["epoch"] as? String)
        _ = mock.event("join")

        for mode in ["abort", "restart"] {
            // The gateway goes away for a while; lines are said meanwhile.
            let lastShown = try #require(Self.ints(try browser.eval(Self.messageOffsets)).last)
            try mock.drop(mode: mode, refuseMilliseconds: 1500)
            try browser.wait("\(Self.status) === 'reconnecting'", timeout: 5)
            #expect((try browser.eval("\(Self.element("status")).textContent") as? String)?.isEmpty == false)
            let missed = try mock.say(room: "dev", name: "Bo", lines: ["while away (\(mode)) 1", "while away (\(mode)) 2"])
            let resume = try #require(
                mock.event("join", timeout: 20, where: { $0["name"] as? String == "Mina" }), "mock stderr: \(mock.errorOutput)")
            let request = try #require(resume["request"] as? [String: Any])
            #expect((request["since"] as? NSNumber)?.intValue == lastShown, "resumes after the last line shown (\(mode))")
            #expect(request["epoch"] as? String == epoch)
            #expect(resume["recovered"] as? Bool == true)
            try browser.wait("\(Self.status) === 'online' && \(Self.messageOffsets).includes(\(missed[1]))")
            let shown = Self.ints(try browser.eval(Self.messageOffsets))
            #expect(shown == Array(1...missed[1]), "every line once, in order (\(mode))")
        }
        #expect(Self.strings(try browser.eval(Self.notices)) == ["server is restarting; reconnect in a moment"])

        // A new welcome on the open connection (the router restarted): new epoch, offsets restart.
        try mock.newEpoch(room: "dev", notify: true)
        try browser.wait("\(Self.notices).some((t) => t.includes('earlier messages may be missing'))")
        let fresh = try mock.say(room: "dev", name: "Bo", lines: ["first line of the new epoch"])
        #expect(fresh == [1])
        try browser.wait("document.querySelectorAll('[data-offset=\"1\"]').length === 2")
        #expect(
            try browser.eval("[...document.querySelectorAll('[data-offset=\"1\"] .text')].pop().textContent") as? String
                == "first line of the new epoch")

        // The epoch changes while the page is away: the resume is not recovered, and it says so.
        try mock.drop(mode: "abort", refuseMilliseconds: 800)
        try mock.newEpoch(room: "dev", notify: false)
        let newEpoch = try #require(try mock.state(room: "dev")["epoch"] as? String)
        try mock.say(room: "dev", name: "Bo", lines: ["said in the newest epoch"])
        let resume = try #require(mock.event("join", timeout: 20, where: { $0["name"] as? String == "Mina" }))
        #expect(resume["recovered"] as? Bool == false)
        #expect((resume["request"] as? [String: Any])?["epoch"] as? String != newEpoch)
        try browser.wait("\(Self.notices).filter((t) => t.includes('earlier messages may be missing')).length === 2")
        try browser.wait(
            "[...document.querySelectorAll('#messages .text')].some((e) => e.textContent === 'said in the newest epoch')")
        let problems = try rig.problems()
        #expect(problems.isEmpty, "console: \(problems)")
    }

    @Test(.enabled(if: Tooling.browserUnavailableReason == nil, Comment(rawValue: skipReason)))
    func refusedNameIsShownInPlaceKeepingTheRoomAndTheTokenIsSent() throws {
        let rig = try Rig(token: "s3cret-token")
        let (mock, browser) = (rig.mock, rig.browser)
        try mock.member(room: "ops", name: "Bo", present: true)
        try browser.open(mock.url + "#room=ops&name=Bo&token=s3cret-token")
        // The token leaves the address bar at once (it stays in memory for the join).
        #expect(try browser.eval("location.hash") as? String == "#room=ops&name=Bo")

        // Keyboard only: Tab order is name, room, Join.
        try browser.focus("[data-testid=name-input]")
        try browser.key("Tab")
        #expect(try browser.eval("document.activeElement.dataset.testid") as? String == "room-input")
        try browser.key("Tab")
        #expect(try browser.eval("document.activeElement.dataset.testid") as? String == "join-button")
        try browser.key("Tab", modifiers: ["Shift"])
        try browser.key("Tab", modifiers: ["Shift"])
        #expect(try browser.eval("document.activeElement.dataset.testid") as? String == "name-input")
        try browser.key("Enter")

        let refused = try #require(mock.event("refused"), "mock stderr: \(mock.errorOutput)")
        #expect((refused["request"] as? [String: Any])?["token"] as? String == "s3cret-token")
        try browser.wait("!document.querySelector('[data-testid=join-error]').hidden")
        #expect(
            try browser.eval("document.querySelector('[data-testid=join-error]').textContent") as? String
                == "name \"Bo\" is already taken in room \"ops\"; pick another name")
        #expect(try browser.eval("\(Self.element("room-input")).value") as? String == "ops")
        #expect(try browser.eval("document.activeElement.dataset.testid") as? String == "name-input")
        #expect(try browser.eval(Self.status) as? String == "idle", "a refused join is not retried")
        try browser.screenshot(to: rig.screenshotDirectory + "/join-refused.png")

        // The name is selected: typing replaces it.
        try browser.type("Bo2")
        try browser.key("Enter")
        let joined = try #require(mock.event("join", where: { $0["name"] as? String == "Bo2" }))
        #expect((joined["request"] as? [String: Any])?["token"] as? String == "s3cret-token")
        try browser.wait("\(Self.status) === 'online'")
        #expect(Self.strings(try browser.eval(Self.memberNames)) == ["Bo", "Bo2"])

        // A second tab chats with the first.
        try browser.open(mock.url + "#room=ops&name=Cy&token=s3cret-token", page: "second")
        try browser.key("Enter", page: "second")
        try browser.wait("\(Self.status) === 'online'", page: "second")
        try browser.wait("\(Self.memberNames).join() === 'Bo,Bo2,Cy'")
        try browser.type("hi from tab two", into: "[data-testid=message-input]", page: "second")
        try browser.click("[data-testid=send-button]", page: "second")
        try browser.wait("[...document.querySelectorAll('.msg')].some((e) => e.dataset.name === 'Cy')")
        try browser.wait("document.querySelector('.msg')", page: "second")
        #expect(try browser.eval("document.querySelector('.msg').classList.contains('mine')") as? Bool == false)
        #expect(try browser.eval("document.querySelector('.msg').classList.contains('mine')", page: "second") as? Bool == true)

        // Leave returns to the join form with the name and room kept.
        try browser.click("[data-testid=leave-button]", page: "second")
        try browser.wait("\(Self.memberNames).join() === 'Bo,Bo2'")
        #expect(
            try browser.eval(
                "[\(Self.element("name-input")).value, \(Self.element("room-input")).value].join()", page: "second")
                as? String == "Cy,ops")
        let problems = try rig.problems() + rig.problems(page: "second")
        #expect(problems.isEmpty, "console: \(problems)")
    }

    @Test(.enabled(if: Tooling.browserUnavailableReason == nil, Comment(rawValue: skipReason)))
    func pageFitsWideAndPhoneWindowsInLightAndDark() throws {
        let rig = try Rig()
        let (mock, browser) = (rig.mock, rig.browser)
        try mock.say(room: "design", name: "Bo", lines: ["Morning! Anyone around?", "Draft is at https://example.com/pr/42"])
        try mock.say(room: "design", name: "Cyrille", lines: [String(repeating: "Looks good to me. ", count: 10)])
        for name in ["Bo", "Cyrille", "Dana"] { try mock.member(room: "design", name: name, present: true) }
        try browser.open(mock.url + "#room=design&name=Mina")
        try browser.key("Enter")
        try browser.wait("\(Self.status) === 'online' && \(Self.messageOffsets).length === 3")
        try browser.type("On it, give me five minutes.", into: "[data-testid=message-input]")
        try browser.key("Enter")
        try mock.say(room: "design", name: "Dana", lines: ["<img src=x onerror=alert(1)> is shown as text"])
        try browser.wait("\(Self.messageOffsets).length === 5")

        let background = "getComputedStyle(document.body).backgroundColor"
        var backgrounds: [String] = []
        for (label, width, height, mobile) in [("wide", 1280, 800, false), ("phone", 390, 760, true)] {
            try browser.viewport(width: width, height: height, scale: mobile ? 2 : 1, mobile: mobile)
            for scheme in ["light", "dark"] {
                try browser.colorScheme(scheme)
                backgrounds.append(try browser.eval(background) as? String ?? "")
                let path = rig.screenshotDirectory + "/chat-\(label)-\(scheme).png"
                #expect(try browser.screenshot(to: path) > 5000)
                let png = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(path) is a PNG")
            }
            let panelShown = "getComputedStyle(document.querySelector('[data-testid=members-panel]')).display !== 'none'"
            let toggleShown = "getComputedStyle(document.querySelector('[data-testid=members-toggle]')).display !== 'none'"
            let noSideways = "document.documentElement.scrollWidth <= innerWidth"
            #expect(try browser.eval(noSideways) as? Bool == true, "\(label): nothing overflows sideways")
            if mobile {
                // Phone: the member list is a panel behind a button.
                #expect(try browser.eval(panelShown) as? Bool == false)
                #expect(try browser.eval(toggleShown) as? Bool == true)
                try browser.click("[data-testid=members-toggle]")
                #expect(try browser.eval(panelShown) as? Bool == true)
                #expect(
                    try browser.eval("\(Self.element("members-toggle")).getAttribute('aria-expanded')") as? String == "true")
                try browser.screenshot(to: rig.screenshotDirectory + "/chat-phone-members.png")
                try browser.key("Escape")
                #expect(try browser.eval(panelShown) as? Bool == false)
            } else {
                #expect(try browser.eval(panelShown) as? Bool == true)
                #expect(try browser.eval(toggleShown) as? Bool == false)
            }
        }
        #expect(backgrounds[0] != backgrounds[1], "dark differs from light: \(backgrounds)")
        #expect(backgrounds[0] == backgrounds[2] && backgrounds[1] == backgrounds[3])

        // The join form on a phone, dark.
        try browser.click("[data-testid=leave-button]")
        try browser.wait("!document.querySelector('[data-testid=name-input]').closest('section').hidden")
        try browser.screenshot(to: rig.screenshotDirectory + "/join-phone-dark.png")
        let problems = try rig.problems()
        #expect(problems.isEmpty, "console: \(problems)")
    }
}
