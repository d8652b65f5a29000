@preconcurrency import Glibc
import Foundation
import Reactor

/// A scrape of `machat -metrics` over a real socket: one HTTP/1.1 request,
/// the answer read until the server closes.
struct MetricsScrape {
    let status: Int
    let head: String
    let body: String

    /// Sends `method path` to 127.0.0.1:`port`.
    static func fetch(port: UInt16, method: String = "GET", path: String = "/metrics") throws -> MetricsScrape {
        let client = try LineClient(port: port)
        client.send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: machat-e2e\r\n\r\n")
        let text = client.readToClose(timeout: 10)
        guard let split = text.range(of: "\r\n\r\n"), let status = Int(text.dropFirst(9).prefix(3)) else {
            throw HarnessError(description: "not an HTTP response: \(text)")
        }
        return MetricsScrape(status: status, head: String(text[..<split.lowerBound]), body: String(text[split.upperBound...]))
    }

    /// The value of the sample written exactly as `series` (name and labels), if present.
    func value(_ series: String) -> Double? {
        for line in body.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// The port of the `metrics listening` log line.
    static func port(in log: String) -> UInt16? {
        MachatProcess.port(after: "msg=\"metrics listening\" addr=127.0.0.1:", in: log)
    }

    /// Runs promtool (Debian's) with `arguments` and `input` on stdin.
    static func promtool(_ arguments: [String], input: String = "") throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        process.arguments = arguments
        let stdin = Pipe()
        let output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
