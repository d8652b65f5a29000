@preconcurrency import Glibc
import CSQLite
import Testing

@testable import Store

@Suite("SQLite wrapper")
struct SQLiteWrapperTests {
    @Test func boundValuesComeBackFromTheirColumns() throws {
        let directory = TemporaryDirectory()
        let database = try Database(path: directory.file("t.db"), mode: .create)
        try database.execute("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, u INTEGER)")
        let insert = try database.prepare("INSERT INTO t VALUES(?1, ?2, ?3, ?4)")
        let text = Array("zoë \"q\"".utf8)
        let blob: [UInt8] = [0, 1, 0xFF, 0]
        text.withUnsafeBytes { insert.bind(text: $0, at: 2) }
        insert.bind(Int64(-5), at: 1)
        blob.withUnsafeBytes { insert.bind(blob: $0, at: 3) }
        insert.bind(bitPattern: UInt64.max, at: 4)
        try insert.run()
        let select = try database.prepare("SELECT i, s, b, u FROM t")
        #expect(try select.step())
        #expect(select.int64(at: 0) == -5)
        #expect(select.text(at: 1) == "zoë \"q\"")
        #expect(Array(select.bytes(at: 2)) == blob)
        #expect(UInt64(bitPattern: select.int64(at: 3)) == UInt64.max)
        #expect(try !select.step())
    }

    @Test func emptyTextAndBlobStayEmptyValuesNotNull() throws {
        let directory = TemporaryDirectory()
        let database = try Database(path: directory.file("t.db"), mode: .create)
        try database.execute("CREATE TABLE t(s TEXT NOT NULL, b BLOB NOT NULL)")
        let insert = try database.prepare("INSERT INTO t VALUES(?1, ?2)")
        [UInt8]().withUnsafeBytes { empty in
            insert.bind(text: empty, at: 1)
            insert.bind(blob: empty, at: 2)
        }
        try insert.run()
        #expect(try database.text("SELECT typeof(s) || ',' || typeof(b) || ',' || length(b) FROM t") == "text,blob,0")
    }

    @Test func badSQLThrowsSQLitesMessageAndCode() throws {
        let directory = TemporaryDirectory()
        let database = try Database(path: directory.file("t.db"), mode: .create)
        #expect {
            _ = try database.prepare("SELEC 1")
        } throws: { error in
            guard let error = error as? SQLiteError else { return false }
            return error.primaryCode == SQLITE_ERROR && error.message.contains("syntax error")
                && error.description.contains("SQLITE_ERROR")
        }
    }

    @Test func constraintViolationIsATypedErrorAndTheStatementCanRunAgain() throws {
        let directory = TemporaryDirectory()
        let database = try Database(path: directory.file("t.db"), mode: .create)
        try database.execute("CREATE TABLE t(k INTEGER PRIMARY KEY)")
        let insert = try database.prepare("INSERT INTO t VALUES(?1)")
        insert.bind(Int64(1), at: 1)
        try insert.run()
        insert.bind(Int64(1), at: 1)
        #expect(throws: SQLiteError.self) { try insert.run() }
        do {
            insert.bind(Int64(1), at: 1)
            try insert.run()
        } catch {
            #expect(error.codeName == "SQLITE_CONSTRAINT")
            #expect(error.code == SQLITE_CONSTRAINT | (6 << 8))  // SQLITE_CONSTRAINT_PRIMARYKEY
        }
        insert.bind(Int64(2), at: 1)
        try insert.run()
        #expect(try database.integer("SELECT count(*) FROM t") == 2)
    }

    @Test func transactionCommitsOnReturnAndRollsBackOnThrow() throws {
        let directory = TemporaryDirectory()
        let database = try Database(path: directory.file("t.db"), mode: .create)
        try database.execute("CREATE TABLE t(k INTEGER)")
        try database.transaction { () throws(SQLiteError) in
            #expect(database.isInTransaction)
            try database.execute("INSERT INTO t VALUES(1)")
        }
        #expect(!database.isInTransaction)
        #expect(throws: SQLiteError.self) {
            try database.transaction { () throws(SQLiteError) in
                try database.execute("INSERT INTO t VALUES(2)")
                try database.execute("INSERT INTO nowhere VALUES(3)")
            }
        }
        #expect(!database.isInTransaction)
        #expect(try database.integer("SELECT group_concat(k) FROM t") == 1)
    }

    @Test func readOnlyConnectionRefusesWritesWithSQLiteReadonly() throws {
        let directory = TemporaryDirectory()
        let writer = try Database(path: directory.file("t.db"), mode: .create)
        try writer.execute("CREATE TABLE t(k INTEGER)")
        let reader = try Database(path: directory.file("t.db"), mode: .readOnly)
        do {
            try reader.execute("INSERT INTO t VALUES(1)")
            Issue.record("a read-only connection wrote")
        } catch {
            #expect(error.primaryCode == SQLITE_READONLY)
        }
    }

    @Test func openingAMissingFileReadOnlyFailsWithCantOpen() {
        do {
            _ = try Database(path: "/tmp/machat-no-such-dir-\(getpid())/x.db", mode: .readOnly)
            Issue.record("opened a missing file")
        } catch {
            #expect(error.primaryCode == SQLITE_CANTOPEN)
            #expect(error.context.hasPrefix("open /tmp/machat-no-such-dir-"))
        }
    }
}
