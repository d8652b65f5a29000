import Foundation

/// A fresh directory under /tmp for one test, removed with everything in it
/// when the value goes away.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "store") {
        path = "/tmp/machat-\(label)-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A path inside the directory.
    func file(_ name: String) -> String { path + "/" + name }
}
