@preconcurrency import Glibc
import Foundation
import Testing

/// The files an operator installs: systemd units checked by systemd's own
/// verifier, Prometheus alert rules checked and unit-tested by promtool.
@Suite(.ownThread) struct ProductionFilesTests {
    /// The repository root: this file is Tests/EndToEnd/ProductionFilesTests.swift.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    private static func run(
        _ executable: String, _ arguments: [String], in directory: String
    ) throws -> (
        status: Int32, output: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs /usr/bin/systemd-analyze"))
    func theSystemdUnitsPassSystemdAnalyzeVerify() throws {
        let source = "\(Self.root)/contrib/systemd"
        let directory = "/tmp/machat-e2e-units-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The unit names the installed path; verify checks that ExecStart is
        // an executable, so the copy points at the binary this build made.
        let units = ["machat.service", "machat.socket", "machat-ws.socket"]
        for unit in units {
            var text = try String(contentsOfFile: "\(source)/\(unit)", encoding: .utf8)
            if unit == "machat.service" {
                #expect(text.contains("ExecStart=/usr/local/bin/machat "))
                // The history database goes to StateDirectory, the one writable place.
                #expect(text.contains(" -data-dir /var/lib/machat "))
                text = text.replacingOccurrences(of: "/usr/local/bin/machat", with: "\(MachatProcess.binaries)/machat")
            }
            try text.write(toFile: "\(directory)/\(unit)", atomically: true, encoding: .utf8)
        }
        let result = try Self.run("/usr/bin/systemd-analyze", ["verify"] + units, in: directory)
        if result.output.contains("Failed to initialize manager") || result.output.contains("System has not been booted") {
            print("skipped: systemd-analyze verify cannot run here: \(result.output)")
            return
        }
        #expect(result.status == 0, "systemd-analyze verify: \(result.output)")
        #expect(result.output.isEmpty, "systemd-analyze verify complained: \(result.output)")
        // The sockets reach machat under the names it looks for.
        let tcp = try String(contentsOfFile: "\(source)/machat.socket", encoding: .utf8)
        let ws = try String(contentsOfFile: "\(source)/machat-ws.socket", encoding: .utf8)
        #expect(tcp.contains("FileDescriptorName=tcp\n") && tcp.contains("Service=machat.service\n"))
        #expect(ws.contains("FileDescriptorName=ws\n") && ws.contains("Service=machat.service\n"))
    }

    @Test func theAlertRulesPassPromtoolCheckAndTheirUnitTests() throws {
        let directory = "\(Self.root)/contrib/prometheus"
        let check = try Self.run("/usr/bin/promtool", ["check", "rules", "alerts.yml"], in: directory)
        #expect(check.status == 0, "promtool check rules: \(check.output)")
        #expect(check.output.contains("SUCCESS: 12 rules found"), "\(check.output)")
        let tests = try Self.run("/usr/bin/promtool", ["test", "rules", "alerts_test.yml"], in: directory)
        #expect(tests.status == 0, "promtool test rules: \(tests.output)")
    }
}
