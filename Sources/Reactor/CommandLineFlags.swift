@preconcurrency import Glibc

/// One command-line flag, Go style (`-name value`, `-name=value`, `--name`),
/// as the seed's programs took them.
public struct FlagSpec: Sendable {
    public let name: String
    /// Shown in usage, e.g. `ADDR`; nil for a boolean switch.
    public let placeholder: String?
    public let defaultValue: String
    public let help: String

    public init(_ name: String, _ placeholder: String?, default defaultValue: String = "", _ help: String) {
        self.name = name
        self.placeholder = placeholder
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// Parsed flag values; every spec has a value (its default if not given).
public struct CommandLineFlags: Sendable {
    private var values: [String: String]
    /// Flags the user actually passed (to pass on only what was set).
    public private(set) var given: Set<String> = []

    /// Parses `arguments` (without the program name). `-h`/`-help` prints the
    /// usage and exits 0; a bad flag prints the problem and the usage to
    /// stderr and exits 2.
    public static func parse(
        program: String, summary: String, specs: [FlagSpec], arguments: [String] = Array(CommandLine.arguments.dropFirst())
    ) -> CommandLineFlags {
        switch parseOrError(specs: specs, arguments: arguments) {
        case .success(let flags):
            return flags
        case .failure(let error):
            if error.message == "help" {
                print(usage(program: program, summary: summary, specs: specs))
                exit(0)
            }
            let text = "\(program): \(error.message)\n\(usage(program: program, summary: summary, specs: specs))\n"
            _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
            exit(2)
        }
    }

    /// A flag the parser did not accept.
    public struct ParseError: Error, Equatable, Sendable {
        public let message: String
    }

    /// The pure parser, for tests.
    public static func parseOrError(specs: [FlagSpec], arguments: [String]) -> Result<CommandLineFlags, ParseError> {
        var flags = CommandLineFlags(values: Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0.defaultValue) }))
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-" else {
                return .failure(ParseError(message: "unexpected argument \"\(argument)\""))
            }
            var name = String(argument.drop { $0 == "-" })
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if name == "h" || name == "help" { return .failure(ParseError(message: "help")) }
            guard let spec = specs.first(where: { $0.name == name }) else {
                return .failure(ParseError(message: "unknown flag -\(name)"))
            }
            if spec.placeholder == nil {
                flags.values[name] = inlineValue ?? "true"
            } else if let inlineValue {
                flags.values[name] = inlineValue
            } else {
                guard index < arguments.count else { return .failure(ParseError(message: "flag -\(name) needs a value")) }
                flags.values[name] = arguments[index]
                index += 1
            }
            flags.given.insert(name)
        }
        return .success(flags)
    }

    public static func usage(program: String, summary: String, specs: [FlagSpec]) -> String {
        var text = "usage: \(program) [flags]\n\(summary)\n\nflags:\n"
        for spec in specs {
            let left = "  -\(spec.name)" + (spec.placeholder.map { " \($0)" } ?? "")
            let pad = String(repeating: " ", count: max(1, 32 - left.count))
            let defaultText = spec.defaultValue.isEmpty || spec.placeholder == nil ? "" : " (default \(spec.defaultValue))"
            text += left + pad + spec.help + defaultText + "\n"
        }
        return text
    }

    public func string(_ name: String) -> String {
        values[name] ?? ""
    }

    public func bool(_ name: String) -> Bool {
        let value = values[name] ?? ""
        return value == "true" || value == "1" || value == "yes"
    }

    /// An integer flag; a non-number is reported and the program exits 2.
    public func int(_ name: String, program: String) -> Int {
        guard let value = Int(values[name] ?? "") else {
            let text = "\(program): -\(name) must be a whole number, got \"\(values[name] ?? "")\"\n"
            _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
            exit(2)
        }
        return value
    }

    /// A duration flag in milliseconds: `24h`, `90m`, `45s`, `500ms`, `7d`,
    /// or a bare number of seconds. A bad value is reported and the program exits 2.
    public func milliseconds(_ name: String, program: String) -> UInt64 {
        guard let value = Self.parseDuration(values[name] ?? "") else {
            Self.fail(program, "-\(name) must be a duration such as 24h, 90m, 45s or 500ms, got \"\(values[name] ?? "")\"")
        }
        return value
    }

    /// A size flag in bytes: `256MiB`, `64KiB`, `1GiB` (also `K`, `M`, `G`),
    /// or a bare number of bytes. A bad value is reported and the program exits 2.
    public func bytes(_ name: String, program: String) -> Int {
        guard let value = Self.parseByteSize(values[name] ?? "") else {
            Self.fail(program, "-\(name) must be a size such as 256MiB, 64KiB or 1048576, got \"\(values[name] ?? "")\"")
        }
        return value
    }

    /// `24h` → 86,400,000; nil for anything else than a whole number and a unit.
    public static func parseDuration(_ text: String) -> UInt64? {
        let units: [(String, UInt64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = UInt64(digits) else { return nil }
        let unit = text.dropFirst(digits.count)
        let factor: UInt64
        if unit.isEmpty {
            factor = 1000
        } else if let match = units.first(where: { $0.0 == unit }) {
            factor = match.1
        } else {
            return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    /// `256MiB` → 268,435,456; nil for anything else than a whole number and a unit.
    public static func parseByteSize(_ text: String) -> Int? {
        let units: [(String, Int)] = [
            ("", 1), ("B", 1), ("K", 1 << 10), ("KiB", 1 << 10), ("M", 1 << 20), ("MiB", 1 << 20), ("G", 1 << 30),
            ("GiB", 1 << 30),
        ]
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int(digits) else { return nil }
        let unit = text.dropFirst(digits.count)
        guard let factor = units.first(where: { $0.0 == unit })?.1 else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    private static func fail(_ program: String, _ message: String) -> Never {
        let text = "\(program): \(message)\n"
        _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
        exit(2)
    }
}
