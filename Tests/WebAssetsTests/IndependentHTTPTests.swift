import Foundation
import Testing
import WebSocket

@testable import WebAssets

/// The responder's bytes and dates checked by implementations we did not write: Python's
/// `http.client` (response parsing), `hashlib` (the fingerprints) and `email.utils` (dates).
@Suite struct IndependentHTTPTests {
    static let pythonAvailable = Tooling.exitStatus(["python3", "-c", "import http.client"]) == 0

    /// Parses each response with http.client as a client would and reports what it saw.
    static let parser = #"""
        import base64, hashlib, http.client, io, json, sys

        class Socket:
            def __init__(self, data): self.data = data
            def makefile(self, mode): return io.BytesIO(self.data)

        out = []
        for item in json.load(sys.stdin):
            response = http.client.HTTPResponse(Socket(base64.b64decode(item["bytes"])), method=item["method"])
            response.begin()
            body = response.read()
            out.append({"status": response.status, "reason": response.reason, "version": response.version,
                        "headers": [[k, v] for k, v in response.getheaders()], "body": len(body),
                        "sha1": hashlib.sha1(body).hexdigest()[:16], "closes": response.will_close})
        json.dump(out, sys.stdout)
        """#

    @Test(.enabled(if: pythonAvailable, "python3 is not installed; skipping the check against http.client"))
    func pythonsHTTPClientReadsEveryResponseAsWeMeanIt() throws {
        let site = WebSite()
        var cases: [(method: String, target: String, headers: [(name: String, value: String)], bytes: [UInt8])] = []
        for path in site.paths {
            let etag = try #require(site.asset(at: Substring(path))?.etag)
            for (method, headers) in [("GET", []), ("HEAD", []), ("GET", [("If-None-Match", etag)]), ("POST", [])]
                as [(String, [(name: String, value: String)])]
            {
                let head = HTTPRequestHead(method: method, target: path, version: .http1_1, headers: headers)
                cases.append((method, path, headers, try #require(site.response(for: head, unixTime: 1_764_628_800))))
            }
        }
        for method in ["GET", "HEAD"] {
            let head = HTTPRequestHead(method: method, target: "/nope", version: .http1_1, headers: [])
            cases.append((method, "/nope", [], site.notFound(for: head, unixTime: 1_764_628_800)))
        }
        let input = try JSONSerialization.data(
            withJSONObject: cases.map { ["method": $0.method, "bytes": Data($0.bytes).base64EncodedString()] })
        let result = try Tooling.run(["python3", "-c", Self.parser], input: input)
        try #require(result.status == 0, "python: \(result.output)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
        try #require(seen.count == cases.count)
        for (sent, parsed) in zip(cases, seen) {
            let label = "\(sent.method) \(sent.target) \(sent.headers)"
            let headers = Dictionary(
                ((parsed["headers"] as? [[String]]) ?? []).map { ($0[0].lowercased(), $0[1]) }, uniquingKeysWith: { a, _ in a })
            let status = parsed["status"] as? Int
            #expect(parsed["version"] as? Int == 11, "\(label)")
            #expect(parsed["closes"] as? Bool == true, "Connection: close is understood: \(label)")
            #expect(headers["date"] == "Mon, 01 Dec 2025 22:40:00 GMT")
            let expectedStatus: Int
            switch (sent.method, sent.target, sent.headers.isEmpty) {
            case (_, "/nope", _): expectedStatus = 404
            case ("POST", _, _): expectedStatus = 405
            case (_, _, false): expectedStatus = 304
            default: expectedStatus = 200
            }
            #expect(status == expectedStatus, "\(label)")
            if expectedStatus == 200 && sent.method == "GET" {
                let body = parsed["body"] as? Int
                #expect(headers["content-length"] == body.map(String.init), "\(label)")
                // The ETag is the first 16 hex digits of the SHA-1 of exactly the bytes served.
                #expect(headers["etag"] == "\"\(parsed["sha1"] as? String ?? "")\"", "\(label)")
            }
            if sent.method == "HEAD" || expectedStatus == 304 {
                #expect(parsed["body"] as? Int == 0, "\(label)")
            }
            if expectedStatus == 405 {
                #expect(headers["allow"] == "GET, HEAD")
            }
        }
    }

    @Test(.enabled(if: pythonAvailable, "python3 is not installed; skipping the check against email.utils"))
    func datesAgreeWithPythonsEmailUtils() throws {
        var times = [
            0, 59, 86_399, 86_400, 784_111_777, 951_782_400, 951_868_799, 978_307_200, 1_709_164_800,
            1_764_628_800, 4_102_444_800, 4_107_542_400, 13_574_563_200, HTTPDate.latest,
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 { times.append(Int.random(in: 0...HTTPDate.latest, using: &generator)) }
        let script = """
            import email.utils, json, sys
            print(json.dumps([email.utils.formatdate(t, usegmt=True) for t in json.load(sys.stdin)]))
            """
        let result = try Tooling.run(["python3", "-c", script], input: try JSONSerialization.data(withJSONObject: times))
        try #require(result.status == 0, "python: \(result.output)")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String])
        for (time, date) in zip(times, expected) {
            #expect(HTTPDate.imfFixdate(unixTime: time) == date, "unix time \(time)")
        }
    }

    @Test func datesOutsideFourDigitYearsAreClamped() {
        #expect(HTTPDate.imfFixdate(unixTime: -1) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.imfFixdate(unixTime: Int.max) == "Fri, 31 Dec 9999 23:59:59 GMT")
    }
}
