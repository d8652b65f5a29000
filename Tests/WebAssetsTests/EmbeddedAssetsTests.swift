import Foundation
import Testing

@testable import WebAssets

/// Sources/WebAssets/EmbeddedAssets.swift is web/ byte for byte, so the two cannot drift.
@Suite struct EmbeddedAssetsTests {
    /// The files web/embed.sh embeds: *.html, *.css, *.js and *.svg in web/.
    static func webFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Tooling.webDirectory)
            .filter { name in [".html", ".css", ".js", ".svg"].contains { name.hasSuffix($0) } }
            .sorted()
    }

    @Test func embeddedFilesAreExactlyTheFilesInWeb() throws {
        let names = try Self.webFiles()
        #expect(EmbeddedAssets.files.map(\.name) == names, "run: bash web/embed.sh")
        for file in EmbeddedAssets.files {
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: Tooling.webDirectory + "/" + file.name))
            let embedded = Array(file.text.utf8)
            let disk = Array(onDisk)
            let common = min(embedded.count, disk.count)
            let firstDifference = (0..<common).first { embedded[$0] != disk[$0] } ?? common
            let same = embedded == disk
            #expect(
                same,
                "web/\(file.name) differs from its embedded copy at byte \(firstDifference); run: bash web/embed.sh")
        }
    }

    @Test func generatorInCheckModeAgrees() throws {
        let result = try Tooling.run(["bash", Tooling.webDirectory + "/embed.sh", "--check"])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func pageIsWellUnderThirtyKilobytes() throws {
        let total = EmbeddedAssets.files.reduce(0) { $0 + $1.text.utf8.count }
        #expect(total < 30_000, "the page's files add up to \(total) bytes")
    }
}
