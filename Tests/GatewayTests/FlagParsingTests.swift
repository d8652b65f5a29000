import Reactor
import Testing

/// Flags with a duration and a size, parsed from `arguments`.
private func parsed(_ arguments: [String]) -> CommandLineFlags? {
    let specs = [
        FlagSpec("ttl", "DURATION", default: "24h", "how long"),
        FlagSpec("memory", "BYTES", default: "256MiB", "how much"),
    ]
    if case .success(let flags) = CommandLineFlags.parseOrError(specs: specs, arguments: arguments) { return flags }
    return nil
}

@Suite("Duration and size flags")
struct FlagParsingTests {
    // MARK: Durations

    @Test func durationUnitsAreMilliseconds() {
        #expect(CommandLineFlags.parseDuration("500ms") == 500)
        #expect(CommandLineFlags.parseDuration("45s") == 45_000)
        #expect(CommandLineFlags.parseDuration("90m") == 5_400_000)
        #expect(CommandLineFlags.parseDuration("24h") == 86_400_000)
        #expect(CommandLineFlags.parseDuration("7d") == 604_800_000)
        #expect(CommandLineFlags.parseDuration("1ms") == 1)
        #expect(CommandLineFlags.parseDuration("0ms") == 0)
        #expect(CommandLineFlags.parseDuration("0d") == 0)
    }

    @Test func bareNumberIsSeconds() {
        #expect(CommandLineFlags.parseDuration("30") == 30_000)
        #expect(CommandLineFlags.parseDuration("0") == 0)
        #expect(CommandLineFlags.parseDuration("007") == 7000)
    }

    @Test func largestDurationsThatFitAreAcceptedAndOverflowIsRefused() {
        #expect(CommandLineFlags.parseDuration("18446744073709551615ms") == UInt64.max)
        #expect(CommandLineFlags.parseDuration("18446744073709551616ms") == nil)
        #expect(CommandLineFlags.parseDuration("18446744073709551s") == 18_446_744_073_709_551_000)
        #expect(CommandLineFlags.parseDuration("18446744073709552s") == nil)
        #expect(CommandLineFlags.parseDuration("213503982334d") == (213_503_982_334 as UInt64) * 86_400_000)
        #expect(CommandLineFlags.parseDuration("213503982335d") == nil)
        #expect(CommandLineFlags.parseDuration("99999999999999999999999h") == nil)
    }

    @Test func malformedDurationsAreRefused() {
        for text in [
            "", "h", "ms", "-5s", "+5s", " 5s", "5s ", "5 s", "5S", "5H", "5MS", "1.5h", "1,5h", "1e3", "5sec", "5min",
            "5hours", "1h30m", "5w", "5y", "5us", "0x10", "٣s", "５s", "5s\n",
        ] {
            #expect(CommandLineFlags.parseDuration(text) == nil, "\(text.debugDescription)")
        }
    }

    // MARK: Sizes

    @Test func sizeUnitsAreBinary() {
        #expect(CommandLineFlags.parseByteSize("1048576") == 1_048_576)
        #expect(CommandLineFlags.parseByteSize("0") == 0)
        #expect(CommandLineFlags.parseByteSize("512B") == 512)
        #expect(CommandLineFlags.parseByteSize("64K") == 65_536)
        #expect(CommandLineFlags.parseByteSize("64KiB") == 65_536)
        #expect(CommandLineFlags.parseByteSize("256M") == 268_435_456)
        #expect(CommandLineFlags.parseByteSize("256MiB") == 268_435_456)
        #expect(CommandLineFlags.parseByteSize("1G") == 1_073_741_824)
        #expect(CommandLineFlags.parseByteSize("1GiB") == 1_073_741_824)
        #expect(CommandLineFlags.parseByteSize("0GiB") == 0)
    }

    @Test func largestSizesThatFitAreAcceptedAndOverflowIsRefused() {
        #expect(CommandLineFlags.parseByteSize("9223372036854775807") == Int.max)
        #expect(CommandLineFlags.parseByteSize("9223372036854775808") == nil)
        #expect(CommandLineFlags.parseByteSize("8589934591GiB") == 8_589_934_591 << 30)
        #expect(CommandLineFlags.parseByteSize("8589934592GiB") == nil)
        #expect(CommandLineFlags.parseByteSize("9007199254740991K") == 9_007_199_254_740_991 << 10)
        #expect(CommandLineFlags.parseByteSize("9007199254740992K") == nil)
    }

    @Test func malformedSizesAreRefused() {
        for text in [
            "", "B", "MiB", "-1", "+1", "-1MiB", " 1MiB", "1MiB ", "1 MiB", "1k", "1m", "1g", "1kib", "1mib", "1KB", "1MB",
            "1GB", "1T", "1TiB", "1.5MiB", "1e6", "0x100", "1Mi", "1iB", "１MiB",
        ] {
            #expect(CommandLineFlags.parseByteSize(text) == nil, "\(text.debugDescription)")
        }
    }

    // MARK: Through the flag parser

    @Test func durationAndSizeFlagsReadTheirValues() throws {
        let flags = try #require(parsed(["-ttl", "90m", "-memory=64KiB"]))
        #expect(flags.milliseconds("ttl", program: "test") == 5_400_000)
        #expect(flags.bytes("memory", program: "test") == 65_536)
        #expect(flags.given == ["ttl", "memory"])
    }

    @Test func durationAndSizeFlagsFallBackToTheirDefaults() throws {
        let flags = try #require(parsed([]))
        #expect(flags.milliseconds("ttl", program: "test") == 86_400_000)
        #expect(flags.bytes("memory", program: "test") == 268_435_456)
        #expect(flags.given.isEmpty)
    }

    @Test func badDurationFlagExitsWithStatusTwo() async {
        await #expect(processExitsWith: .exitCode(2)) {
            let flags = CommandLineFlags.parseOrError(
                specs: [FlagSpec("ttl", "DURATION", default: "24h", "how long")], arguments: ["-ttl", "1.5h"])
            if case .success(let flags) = flags { _ = flags.milliseconds("ttl", program: "test") }
        }
    }

    @Test func badSizeFlagExitsWithStatusTwo() async {
        await #expect(processExitsWith: .exitCode(2)) {
            let flags = CommandLineFlags.parseOrError(
                specs: [FlagSpec("memory", "BYTES", default: "1MiB", "how much")], arguments: ["--memory=12MB"])
            if case .success(let flags) = flags { _ = flags.bytes("memory", program: "test") }
        }
    }
}
