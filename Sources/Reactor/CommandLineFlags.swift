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
}
