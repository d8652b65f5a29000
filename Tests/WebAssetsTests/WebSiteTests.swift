import Foundation
import Testing
import WebSocket

@testable import WebAssets

/// The static responder, on the exact bytes it produces.
@Suite struct WebSiteTests {
    let site = WebSite()

    func request(
        _ method: String, _ target: String, _ headers: [(name: String, value: String)] = [], unixTime: Int? = nil
    ) throws -> ParsedResponse {
        let head = HTTPRequestHead(
            method: method, target: target, version: .http1_1, headers: [("Host", "127.0.0.1:8099")] + headers)
        let bytes = try #require(site.response(for: head, unixTime: unixTime), "no response for \(method) \(target)")
        return try ParsedResponse(bytes)
    }

    var assetPaths: [String] { site.paths.filter { $0 != "/" } }

    func webFile(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Tooling.webDirectory + "/" + name)))
    }

    func expectSecurityFields(_ response: ParsedResponse) {
        let policy = response.value("Content-Security-Policy")
        #expect(policy == WebSite.contentSecurityPolicy)
        #expect(policy?.contains("unsafe-inline") == false)
        #expect(policy?.contains("unsafe-eval") == false)
        #expect(policy?.contains("script-src 'self'") == true)
        #expect(policy?.contains("frame-ancestors 'none'") == true)
        #expect(response.value("X-Content-Type-Options") == "nosniff")
        #expect(response.value("Referrer-Policy") == "no-referrer")
        #expect(response.value("Connection") == "close")
    }

    @Test func pageIsServedAtRootAsHTMLThatIsAlwaysRevalidated() throws {
        let response = try request("GET", "/")
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.value("Content-Type") == "text/html; charset=utf-8")
        #expect(response.value("Cache-Control") == "no-cache")
        #expect(response.value("Content-Length") == String(response.body.count))
        let etag = try #require(response.value("ETag"))
        #expect(etag.wholeMatch(of: /"[0-9a-f]{16}"/) != nil, "strong ETag: \(etag)")
        #expect(etag == "\"\(WebAsset.fingerprint(response.body))\"")
        expectSecurityFields(response)
        #expect(String(decoding: response.body, as: UTF8.self).hasPrefix("<!doctype html>"))
    }

    @Test func assetsAreServedAtContentHashedPathsAndCachedForAYear() throws {
        let expectedTypes = [
            "app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
            "favicon.svg": "image/svg+xml",
        ]
        #expect(assetPaths.count == expectedTypes.count)
        for path in assetPaths {
            let match = try #require(path.wholeMatch(of: /\/([a-z]+)\.([0-9a-f]{16})\.([a-z]+)/), "path \(path)")
            let name = "\(match.1).\(match.3)"
            let response = try request("GET", path)
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(response.value("Content-Type") == expectedTypes[name], "\(path)")
            #expect(response.value("Cache-Control") == "public, max-age=31536000, immutable")
            #expect(response.value("ETag") == "\"\(match.2)\"")
            #expect(response.value("Content-Length") == String(response.body.count))
            let same = response.body == (try webFile(name))
            #expect(same, "\(path) is web/\(name) byte for byte; run: bash web/embed.sh")
            expectSecurityFields(response)
        }
    }

    @Test func pageNamesEveryAssetByItsHashedPathAndNoUnhashedOne() throws {
        let page = String(decoding: try request("GET", "/").body, as: UTF8.self)
        for path in assetPaths {
            #expect(page.contains("\"\(path)\""), "index.html refers to \(path)")
        }
        for name in ["app.js", "app.css", "favicon.svg"] {
            #expect(!page.contains("\"/\(name)\""), "no unhashed reference to /\(name) is left")
        }
        // Everything else is index.html as written.
        var unhashed = page
        for path in assetPaths {
            let name = path.replacing(/\.[0-9a-f]{16}\./, with: ".")
            unhashed = unhashed.replacingOccurrences(of: path, with: name)
        }
        let same = Array(unhashed.utf8) == (try webFile("index.html"))
        #expect(same, "the page is web/index.html but for the hashed names")
    }

    @Test func matchingIfNoneMatchGets304WithValidatorsAndNoContent() throws {
        for path in site.paths {
            let etag = try #require(try request("GET", path).value("ETag"))
            let conditions: [[(name: String, value: String)]] = [
                [("If-None-Match", etag)],
                [("If-None-Match", "\"0000000000000000\", \(etag)")],
                [("If-None-Match", "W/\(etag)")],
                [("If-None-Match", "*")],
                [("If-None-Match", "\"nope\""), ("if-none-match", etag)],
            ]
            for condition in conditions {
                for method in ["GET", "HEAD"] {
                    let response = try request(method, path, condition)
                    #expect(response.statusLine == "HTTP/1.1 304 Not Modified", "\(method) \(path) \(condition)")
                    #expect(response.value("ETag") == etag)
                    #expect(response.value("Cache-Control") != nil)
                    #expect(response.values("Content-Length").isEmpty)
                    #expect(response.values("Content-Type").isEmpty)
                    #expect(response.body.isEmpty)
                    expectSecurityFields(response)
                }
            }
        }
    }

    @Test func otherOrMalformedIfNoneMatchGetsTheFullResponse() throws {
        let full = try request("GET", "/")
        let etag = try #require(full.value("ETag"))
        let unquoted = etag.replacingOccurrences(of: "\"", with: "")
        for value in ["\"0000000000000000\"", unquoted, "", "w/\(etag)", "\"a, \(etag)", "*, \(etag)", etag + "x"] {
            let response = try request("GET", "/", [("If-None-Match", value)])
            #expect(response.statusLine == "HTTP/1.1 200 OK", "If-None-Match: \(value)")
            #expect(response.body.count == full.body.count)
        }
    }

    @Test func headGetsTheHeadersOfGetWithoutContent() throws {
        for path in site.paths {
            let get = try request("GET", path)
            let head = try request("HEAD", path)
            #expect(head.statusLine == get.statusLine)
            #expect(head.fields.map { "\($0.name): \($0.value)" } == get.fields.map { "\($0.name): \($0.value)" })
            #expect(head.value("Content-Length") == String(get.body.count))
            #expect(head.body.isEmpty)
        }
    }

    @Test func otherMethodsOnTheSitesPathsGet405ListingGetAndHead() throws {
        for path in site.paths {
            for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "get"] {
                let response = try request(method, path)
                #expect(response.statusLine == "HTTP/1.1 405 Method Not Allowed", "\(method) \(path)")
                #expect(response.value("Allow") == "GET, HEAD")
                #expect(response.value("Content-Type") == "text/plain; charset=utf-8")
                #expect(response.value("Content-Length") == String(response.body.count))
                #expect(String(decoding: response.body, as: UTF8.self) == "error: only GET and HEAD are allowed here\n")
                expectSecurityFields(response)
            }
        }
    }

    @Test func pathsThatAreNotTheSitesAreLeftToTheCaller() {
        for target in [
            "/mychat", "/app.js", "/app.css", "/index.html", "/favicon.ico", "/metrics", "*", "", "//", "/app", "/mychat/",
        ] {
            for method in ["GET", "HEAD", "POST"] {
                let head = HTTPRequestHead(method: method, target: target, version: .http1_1, headers: [])
                #expect(site.response(for: head) == nil, "\(method) \(target)")
            }
        }
        let stale = HTTPRequestHead(method: "GET", target: "/app.0000000000000000.js", version: .http1_1, headers: [])
        #expect(site.response(for: stale) == nil, "an old version's path is not served")
    }

    @Test func notFoundIsA404InTheSitesStyleWithoutContentForHead() throws {
        for method in ["GET", "HEAD"] {
            let head = HTTPRequestHead(method: method, target: "/nope", version: .http1_1, headers: [])
            let response = try ParsedResponse(site.notFound(for: head, unixTime: 0))
            #expect(response.statusLine == "HTTP/1.1 404 Not Found")
            #expect(response.value("Date") == "Thu, 01 Jan 1970 00:00:00 GMT")
            #expect(response.value("Content-Type") == "text/plain; charset=utf-8")
            #expect(response.value("Cache-Control") == "no-store")
            let body = "error: nothing here; the chat page is at /\n"
            #expect(response.value("Content-Length") == String(body.utf8.count))
            #expect(response.body == (method == "HEAD" ? [] : Array(body.utf8)))
            expectSecurityFields(response)
        }
    }

    @Test func queryAndFragmentAreIgnoredForLookup() throws {
        let plain = try request("GET", "/")
        for target in ["/?room=dev", "/?", "/#room=dev", "/?a=1#b"] {
            let same = try request("GET", target).body == plain.body
            #expect(same, "\(target)")
        }
        for path in assetPaths {
            #expect(try request("GET", path + "?v=2").statusLine == "HTTP/1.1 200 OK")
        }
    }

    @Test func absoluteFormTargetsAreLookedUpByTheirPath() throws {
        #expect(try request("GET", "http://127.0.0.1:8099/").statusLine == "HTTP/1.1 200 OK")
        #expect(try request("GET", "HTTPS://chat.example").statusLine == "HTTP/1.1 200 OK")
        let asset = try #require(assetPaths.first)
        #expect(try request("GET", "http://chat.example:80\(asset)?x").statusLine == "HTTP/1.1 200 OK")
        let other = HTTPRequestHead(method: "GET", target: "http://chat.example/mychat", version: .http1_1, headers: [])
        #expect(site.response(for: other) == nil)
    }

    @Test func dateFieldFollowsTheStatusLineWhenTheTimeIsGiven() throws {
        let dated = try request("GET", "/", unixTime: 784_111_777)
        #expect(dated.fields.first?.name == "Date")
        #expect(dated.value("Date") == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(try request("GET", "/").values("Date").isEmpty)
        let notModified = try request("GET", "/", [("If-None-Match", "*")], unixTime: 0)
        #expect(notModified.value("Date") == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func versionedNameCarriesTheHashBeforeTheLastExtension() {
        #expect(WebSite.versionedName("app.js", hash: "abc") == "app.abc.js")
        #expect(WebSite.versionedName("a.b.css", hash: "h") == "a.b.h.css")
        #expect(WebSite.versionedName("LICENSE", hash: "h") == "LICENSE.h")
    }

    @Test func siteOfOtherFilesRewritesOnlyQuotedReferences() throws {
        let site = WebSite(files: [
            (name: "index.html", bytes: Array(#"<script src="/x.js"></script><p>/x.js "/x.jsx"</p>"#.utf8)),
            (name: "x.js", bytes: Array("1;\n".utf8)),
        ])
        let hash = WebAsset.fingerprint(Array("1;\n".utf8))
        #expect(site.paths == ["/", "/x.\(hash).js"])
        let page = String(decoding: try #require(site.asset(at: "/")).body, as: UTF8.self)
        #expect(page == #"<script src="/x.\#(hash).js"></script><p>/x.js "/x.jsx"</p>"#)
    }
}
