import Testing

@testable import Redis

/// `redis://` URLs parse with their defaults, and everything else is refused
/// with an error that says what to write instead.
@Suite("RedisURL")
struct RedisURLTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func hostAloneGetsTheDefaultPortAndDatabase() throws {
        let url = try RedisURL("redis://cache.internal")
        #expect(url == RedisURL(host: "cache.internal", port: 6379, database: 0))
        #expect(url.description == "redis://cache.internal:6379/0")
    }

    @Test func portAndDatabaseAreRead() throws {
        #expect(try RedisURL("redis://127.0.0.1:7000/5") == RedisURL(host: "127.0.0.1", port: 7000, database: 5))
        #expect(try RedisURL("redis://127.0.0.1:7000/") == RedisURL(host: "127.0.0.1", port: 7000, database: 0))
        #expect(try RedisURL("  REDIS://h:1/0\t") == RedisURL(host: "h", port: 1, database: 0))
    }

    @Test func ipv6AddressesGoInBrackets() throws {
        let url = try RedisURL("redis://[::1]:6380/2")
        #expect(url.host == "::1")
        #expect(url.port == 6380)
        #expect(url.address == "[::1]:6380")
        #expect(try RedisURL("redis://[fe80::1]").port == 6379)
    }

    @Test func passwordAloneAuthenticatesTheDefaultUser() throws {
        let url = try RedisURL("redis://:s3cret@10.0.0.7:6379/1")
        #expect(url.user == nil)
        #expect(url.password == b("s3cret"))
        #expect(url.description == "redis://:***@10.0.0.7:6379/1")
    }

    @Test func userAndPasswordArePercentDecoded() throws {
        let url = try RedisURL("redis://machat%2Dnode:p%40ss%3Aw%2Frd%25+x:y@h:1")
        #expect(url.user == b("machat-node"))
        #expect(url.password == b("p@ss:w/rd%+x:y"))
        #expect(url.description == "redis://machat-node:***@h:1/0")
        #expect(try RedisURL("redis://:%00%FF@h").password == [0, 255])
    }

    @Test func rawAtSignsAndColonsInThePasswordAreKept() throws {
        let url = try RedisURL("redis://u:a@b:c@host:2")
        #expect(url.user == b("u"))
        #expect(url.password == b("a@b:c"))
        #expect(url.host == "host")
    }

    @Test func tlsIsRefusedWithAdvice() {
        #expect(throws: RedisURLError.tlsNotSupported) { try RedisURL("rediss://h:6380") }
        #expect(
            RedisURLError.tlsNotSupported.description
                == "TLS (rediss://) is not supported; run Redis on a private network or tunnel it")
    }

    @Test func otherMistakesGetTheirOwnErrors() {
        #expect(throws: RedisURLError.unsupportedScheme("unix")) { try RedisURL("unix:///tmp/redis.sock") }
        #expect(throws: RedisURLError.missingScheme("localhost:6379")) { try RedisURL("localhost:6379") }
        #expect(throws: RedisURLError.missingHost) { try RedisURL("redis://") }
        #expect(throws: RedisURLError.missingHost) { try RedisURL("redis://:6379") }
        #expect(throws: RedisURLError.missingHost) { try RedisURL("redis://:pw@/1") }
        #expect(throws: RedisURLError.invalidHost("exa mple")) { try RedisURL("redis://exa mple") }
        #expect(throws: RedisURLError.invalidHost("[::1")) { try RedisURL("redis://[::1") }
        #expect(throws: RedisURLError.invalidPort("0")) { try RedisURL("redis://h:0") }
        #expect(throws: RedisURLError.invalidPort("65536")) { try RedisURL("redis://h:65536") }
        #expect(throws: RedisURLError.invalidPort("")) { try RedisURL("redis://h:") }
        #expect(throws: RedisURLError.invalidPort("x1")) { try RedisURL("redis://h:x1") }
        #expect(throws: RedisURLError.invalidDatabase("/db1")) { try RedisURL("redis://h/db1") }
        #expect(throws: RedisURLError.invalidDatabase("/-1")) { try RedisURL("redis://h/-1") }
        #expect(throws: RedisURLError.invalidDatabase("/1/2")) { try RedisURL("redis://h/1/2") }
        #expect(throws: RedisURLError.invalidDatabase("/99999999999")) { try RedisURL("redis://h/99999999999") }
        #expect(throws: RedisURLError.invalidPercentEncoding) { try RedisURL("redis://:ab%4@h") }
        #expect(throws: RedisURLError.invalidPercentEncoding) { try RedisURL("redis://:ab%zz@h") }
        #expect(throws: RedisURLError.userWithoutPassword) { try RedisURL("redis://alice@h") }
        #expect(throws: RedisURLError.emptyPassword) { try RedisURL("redis://alice:@h") }
        #expect(throws: RedisURLError.queryNotSupported) { try RedisURL("redis://h/0?timeout=1") }
        #expect(throws: RedisURLError.queryNotSupported) { try RedisURL("redis://h#x") }
    }

    @Test func errorMessagesShowTheExpectedForm() {
        #expect(
            RedisURLError.missingScheme("localhost").description
                == "\"localhost\" is not a Redis URL; expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]")
        #expect(
            RedisURLError.userWithoutPassword.description
                == "the Redis URL names a user but no password; use redis://USER:PASSWORD@HOST or redis://:PASSWORD@HOST")
        #expect(RedisURLError.invalidPort("0").description == "invalid port \"0\" in the Redis URL; use 1-65535 (default 6379)")
    }

    @Test func listOfShardsKeepsItsOrder() throws {
        let urls = try RedisURL.parseList("redis://a:1, redis://:pw@b:2/3 ,redis://[::1]:4")
        #expect(urls.map(\.shardName) == ["a:1/0", "b:2/3", "[::1]:4/0"])
        #expect(urls[1].password == b("pw"))
        #expect(try RedisURL.parseList("redis://only").count == 1)
    }

    @Test func listRefusesEmptyEntriesDuplicatesAndBadMembers() {
        #expect(throws: RedisURLError.emptyListEntry(position: 2)) { try RedisURL.parseList("redis://a,,redis://b") }
        #expect(throws: RedisURLError.emptyListEntry(position: 1)) { try RedisURL.parseList("") }
        #expect(throws: RedisURLError.emptyListEntry(position: 2)) { try RedisURL.parseList("redis://a, ") }
        #expect(throws: RedisURLError.duplicateShard("a:6379/0")) { try RedisURL.parseList("redis://A,redis://a:6379/0") }
        #expect(throws: RedisURLError.tlsNotSupported) { try RedisURL.parseList("redis://a,rediss://b") }
    }
}
