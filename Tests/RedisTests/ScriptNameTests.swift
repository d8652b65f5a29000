import Testing

@testable import Redis

/// Scripts are named by the lowercase hex SHA-1 of their source (the SHA-1
/// is WebSocket's, tested against the RFC 3174 vectors in GatewayTests; Redis's own answer is
/// checked in the server tests).
@Suite("Script names")
struct ScriptNameTests {
    @Test func scriptIsNamedByTheHexOfItsSource() {
        let script = RedisScript(source: "return 1")
        #expect(script.sha1Hex == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
        #expect(RedisScript(source: "").sha1Hex == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(script == RedisScript(source: Array("return 1".utf8)))
    }
}
