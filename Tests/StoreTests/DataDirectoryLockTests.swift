@preconcurrency import Glibc
import Foundation
import Testing

@testable import Store

@Suite("Data directory lock")
struct DataDirectoryLockTests {
    @Test func secondHolderIsRefusedWithThePidAndCommandLineOfTheFirst() throws {
        let directory = TemporaryDirectory()
        let first = try DataDirectoryLock(directory: directory.path)
        #expect {
            _ = try DataDirectoryLock(directory: directory.path)
        } throws: { error in
            guard case .held(_, let pid, let commandLine) = error as? DataDirectoryLockError else { return false }
            let text = "\(error)"
            return pid == getpid() && commandLine?.contains("MaChatPackageTests") == true
                && text.hasPrefix("data directory \(directory.path) is in use by process \(getpid()) (")
                && text.hasSuffix("stop it first, or give this one another -data-dir")
        }
        first.release()
        let again = try DataDirectoryLock(directory: directory.path)
        #expect(String(decoding: FileManager.default.contents(atPath: again.path)!, as: UTF8.self) == "\(getpid())\n")
    }

    @Test func lockFileLeftByADeadProcessDoesNotBlock() throws {
        let directory = TemporaryDirectory()
        _ = FileManager.default.createFile(atPath: directory.file("machat.lock"), contents: Data("999999999\n".utf8))
        let lock = try DataDirectoryLock(directory: directory.path)
        #expect(String(decoding: FileManager.default.contents(atPath: lock.path)!, as: UTF8.self) == "\(getpid())\n")
    }

    @Test func runningStoreHoldsItsLockAndASecondStoreRefusesNamingIt() throws {
        let directory = TemporaryDirectory()
        let store = try StoreProcess(socketPath: directory.file("a.sock"), dataDirectory: directory.file("data"))
        #expect {
            _ = try DataDirectoryLock(directory: directory.file("data"), name: DataDirectory.storeLockName)
        } throws: { error in
            "\(error)".contains("is in use by process \(store.pid) (\(StoreProcess.binary) -socket \(directory.file("a.sock"))")
        }
        let second = try StoreProcess(
            socketPath: directory.file("b.sock"), dataDirectory: directory.file("data"), waitUntilListening: false)
        #expect(second.waitForExit())
        #expect(second.exitCode == 78)
        #expect(second.log.contains("msg=\"store cannot start\""))
        #expect(second.log.contains("is in use by process \(store.pid)"))
        store.killHard()
        // The kernel released the lock with the process.
        _ = try DataDirectoryLock(directory: directory.file("data"), name: DataDirectory.storeLockName)
    }
}
