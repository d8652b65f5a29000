import Testing

@testable import GatewayCore

/// Parses a join written as text; `bytes` variants cover input that is not UTF-8.
private func parseJoin(_ text: String) -> Result<JoinRequest, JoinError> {
    JoinRequest.parse(Array(text.utf8))
}

/// The reason of an `invalidJSON` failure, or nil for any other outcome.
private func invalidJSONReason(_ result: Result<JoinRequest, JoinError>) -> String? {
    if case .failure(.invalidJSON(let reason)) = result { return reason }
    return nil
}

/// The bytes of a parsed field, so escapes are checked byte for byte rather
/// than through String's canonical-equivalence comparison.
private func parsedBytes(
    _ result: Result<JoinRequest, JoinError>
) -> (
    name: [UInt8], room: [UInt8]
)? {
    guard case .success(let request) = result else { return nil }
    return (Array(request.name.utf8), Array(request.room.utf8))
}

@Suite("JoinRequest parsing")
struct JoinRequestParsingTests {
    @Test func plainObjectGivesNameAndRoom() {
        #expect(
            parseJoin(#"{"name":"Mina","room":"devroom"}"#)
                == .success(JoinRequest(name: "Mina", room: "devroom")))
    }

    @Test func whitespaceAroundAndBetweenTokensIsAllowed() {
        let text = " \r\n\t{ \"room\" :\t\"dev\" ,\n \"name\" : \"Mina\" }\r\n "
        #expect(parseJoin(text) == .success(JoinRequest(name: "Mina", room: "dev")))
    }

    @Test func extraKeysOfEveryJSONTypeAreIgnored() {
        let text = """
            {"id":42,"zero":0,"neg":-1.5e+3,"exp":2E-2,"yes":true,"no":false,"nothing":null,\
            "name":"Mina","list":[1,"two",[3,[]],{"x":4},null,true],"empty":{},"emptyList":[],\
            "obj":{"name":"inner","room":{"deep":["room"]}},"note":"hi","room":"dev","after":{"name":7}}
            """
        #expect(parseJoin(text) == .success(JoinRequest(name: "Mina", room: "dev")))
    }

    @Test func stringEscapesAreDecoded() {
        let result = parseJoin(#"{"name":"a\"b\\c\/d\ne\tf\u00e9\b\f\r","room":"\u00C9t\u00e9"}"#)
        let fields = parsedBytes(result)
        #expect(fields?.name == Array("a\"b\\c/d\ne\tf".utf8) + [0xC3, 0xA9, 0x08, 0x0C, 0x0D])
        #expect(fields?.room == [0xC3, 0x89, 0x74, 0xC3, 0xA9])
    }

    @Test func surrogatePairEscapeBecomesOneScalar() {
        let result = parseJoin(#"{"name":"\ud83d\ude00","room":"x\uD83D\uDE00y"}"#)
        #expect(result == .success(JoinRequest(name: "😀", room: "x😀y")))
        #expect(parsedBytes(result)?.name == [0xF0, 0x9F, 0x98, 0x80])
    }

    @Test func escapedNulIsDecodedAndLeftToValidation() {
        let result = parseJoin(#"{"name":"a\u0000b","room":"r"}"#)
        #expect(parsedBytes(result)?.name == [0x61, 0x00, 0x62])
    }

    @Test func rawNonASCIINamesAreKeptAsUTF8() {
        #expect(
            parseJoin(#"{"name":"Zoë","room":"李"}"#)
                == .success(JoinRequest(name: "Zoë", room: "李")))
        #expect(
            parsedBytes(parseJoin(#"{"name":"Zoë","room":"李"}"#))?.name == [0x5A, 0x6F, 0xC3, 0xAB])
        #expect(parsedBytes(parseJoin(#"{"name":"Zoë","room":"李"}"#))?.room == [0xE6, 0x9D, 0x8E])
    }

    @Test func escapedKeysAreMatched() {
        #expect(
            parseJoin(#"{"na\u006de":"Mina","r\u006fom":"dev"}"#)
                == .success(JoinRequest(name: "Mina", room: "dev")))
    }

    @Test func truncatedObjectIsInvalidJSON() {
        for text in [
            #"{"name":"Mina","room":"dev""#, #"{"name":"Mi"#, #"{"name":"#, "{", #"{"name":"a\"#,
        ] {
            #expect(invalidJSONReason(parseJoin(text)) != nil, "\(text)")
        }
        #expect(invalidJSONReason(parseJoin(#"{"name":"Mi"#)) == "unterminated string")
    }

    @Test func emptyInputIsInvalidJSON() {
        #expect(parseJoin("") == .failure(.invalidJSON("empty input")))
        #expect(parseJoin(" \r\n") == .failure(.invalidJSON("empty input")))
    }

    @Test func trailingCommaIsInvalidJSON() {
        let reason = invalidJSONReason(parseJoin(#"{"name":"Mina","room":"dev",}"#))
        #expect(reason?.hasPrefix("expected a member name") == true)
    }

    @Test func singleQuotesAreInvalidJSON() {
        #expect(invalidJSONReason(parseJoin("{'name':'Mina','room':'dev'}")) != nil)
        #expect(invalidJSONReason(parseJoin(#"{"name":'Mina',"room":"dev"}"#)) != nil)
    }

    @Test func unquotedKeysAndBadLiteralsAreInvalidJSON() {
        for text in [
            #"{name:"Mina","room":"dev"}"#,
            #"{"name":"Mina","room":"dev","x":tru}"#,
            #"{"name":"Mina","room":"dev","x":nul}"#,
            #"{"name":"Mina","room":"dev","x":01}"#,
            #"{"name":"Mina","room":"dev","x":1.}"#,
            #"{"name":"Mina","room":"dev","x":-}"#,
            #"{"name":"Mina","room":"dev","x":+1}"#,
            #"{"name":"Mina","room":"dev","x":[1,]}"#,
            #"{"name":"Mina" "room":"dev"}"#,
            #"{"name":"M\x","room":"dev"}"#,
            #"{"name":"\u00g1","room":"dev"}"#,
        ] {
            #expect(invalidJSONReason(parseJoin(text)) != nil, "\(text)")
        }
    }

    @Test func dataAfterTheObjectIsInvalidJSON() {
        let expected = JoinError.invalidJSON("unexpected data after the object")
        #expect(parseJoin(#"{"name":"Mina","room":"dev"} x"#) == .failure(expected))
        #expect(parseJoin(#"{"name":"Mina","room":"dev"}{}"#) == .failure(expected))
    }

    @Test func missingNameIsReported() {
        #expect(parseJoin(#"{"room":"dev"}"#) == .failure(.missingField("name")))
        #expect(parseJoin("{}") == .failure(.missingField("name")))
    }

    @Test func missingRoomIsReported() {
        #expect(parseJoin(#"{"name":"Mina"}"#) == .failure(.missingField("room")))
        #expect(
            parseJoin(#"{"name":"Mina","obj":{"room":"dev"}}"#) == .failure(.missingField("room")))
    }

    @Test func nameThatIsNotAStringIsWrongType() {
        for value in ["42", "null", "true", "[\"Mina\"]", "{\"first\":\"Mina\"}"] {
            #expect(
                parseJoin(#"{"name":\#(value),"room":"dev"}"#)
                    == .failure(.wrongType(field: "name")), "\(value)")
        }
    }

    @Test func roomThatIsNotAStringIsWrongType() {
        #expect(parseJoin(#"{"name":"Mina","room":7}"#) == .failure(.wrongType(field: "room")))
    }

    @Test func topLevelNonObjectIsNotAnObject() {
        #expect(parseJoin(#"[{"name":"Mina","room":"dev"}]"#) == .failure(.notAnObject))
        #expect(parseJoin(#""Mina""#) == .failure(.notAnObject))
        #expect(parseJoin("hello") == .failure(.notAnObject))
        #expect(parseJoin("  42") == .failure(.notAnObject))
    }

    @Test func unpairedSurrogatesAreInvalidJSON() {
        let expected = Result<JoinRequest, JoinError>.failure(.invalidJSON("unpaired surrogate"))
        #expect(parseJoin(#"{"name":"\ud83d","room":"dev"}"#) == expected)
        #expect(parseJoin(#"{"name":"\ude00","room":"dev"}"#) == expected)
        #expect(parseJoin(#"{"name":"\ud83dx","room":"dev"}"#) == expected)
        #expect(parseJoin(#"{"name":"\ud83d\u0041","room":"dev"}"#) == expected)
        #expect(parseJoin(#"{"name":"\ud83d\ud83d","room":"dev"}"#) == expected)
        #expect(parseJoin(#"{"name":"Mina","room":"\ude00\ud83d"}"#) == expected)
    }

    @Test func rawControlCharacterInAStringIsInvalidJSON() {
        let expected = Result<JoinRequest, JoinError>.failure(
            .invalidJSON("unescaped control character in string"))
        for control: UInt8 in [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F] {
            let bytes = Array(#"{"name":"a"#.utf8) + [control] + Array(#"b","room":"dev"}"#.utf8)
            #expect(JoinRequest.parse(bytes) == expected, "byte \(control)")
        }
    }

    @Test func invalidUTF8InAStringIsInvalidJSON() {
        let expected = Result<JoinRequest, JoinError>.failure(
            .invalidJSON("string is not valid UTF-8"))
        let badSequences: [[UInt8]] = [
            [0xFF],  // never valid
            [0xC3],  // truncated two-byte sequence
            [0xE6, 0x9D],  // truncated three-byte sequence
            [0xC0, 0xAF],  // overlong '/'
            [0xED, 0xA0, 0x80],  // encoded surrogate
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0x80],  // lone continuation byte
        ]
        for bad in badSequences {
            let bytes = Array(#"{"name":"a"#.utf8) + bad + Array(#"","room":"dev"}"#.utf8)
            #expect(JoinRequest.parse(bytes) == expected, "\(bad)")
        }
    }

    @Test func deepNestingIsRefusedWithoutExhaustingTheStack() {
        let depth = 10_000
        let text =
            #"{"name":"Mina","room":"dev","x":"# + String(repeating: "[", count: depth)
            + String(repeating: "]", count: depth) + "}"
        #expect(parseJoin(text) == .failure(.invalidJSON("nested too deeply")))
    }

    @Test func moderateNestingIsAccepted() {
        let depth = 20
        let text =
            #"{"x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            + #","name":"Mina","room":"dev"}"#
        #expect(parseJoin(text) == .success(JoinRequest(name: "Mina", room: "dev")))
    }

    @Test func errorMessagesTellTheClientWhatToSend() {
        #expect(
            JoinError.missingField("name").message
                == #"the join has no "name"; send {"name":"<you>","room":"<room>"}"#)
        #expect(
            JoinError.invalidField(field: "name", reason: "must not be empty").message
                == "name must not be empty")
        #expect(
            JoinError.tooLarge(max: 4096).message
                == #"the join is larger than 4096 bytes; send {"name":"<you>","room":"<room>"}"#)
    }
}

@Suite("JoinRequest validation")
struct JoinRequestValidationTests {
    private let limits = GatewayLimits()

    private func nameError(_ name: String) -> JoinError? {
        JoinRequest(name: name, room: "dev").validate(limits)
    }

    private func roomError(_ room: String) -> JoinError? {
        JoinRequest(name: "Mina", room: room).validate(limits)
    }

    @Test func ordinaryJoinIsValid() {
        #expect(nameError("Mina") == nil)
        #expect(nameError("Zoë") == nil)
        #expect(nameError("李") == nil)
        #expect(nameError("a b-c_d.e😀") == nil)
    }

    @Test func emptyNameIsRefused() {
        #expect(nameError("") == .invalidField(field: "name", reason: "must not be empty"))
    }

    @Test func emptyRoomIsRefused() {
        #expect(roomError("") == .invalidField(field: "room", reason: "must not be empty"))
    }

    @Test func nameWithColonIsRefused() {
        #expect(nameError("Mi:na") == .invalidField(field: "name", reason: "must not contain ':'"))
        #expect(nameError(":") == .invalidField(field: "name", reason: "must not contain ':'"))
    }

    @Test func roomWithColonIsAllowed() {
        #expect(roomError("team:dev") == nil)
    }

    @Test func nameWithControlCharacterIsRefused() {
        let expected = JoinError.invalidField(
            field: "name", reason: "must not contain control characters")
        for scalar in [
            "\u{0}", "\u{7}", "\t", "\n", "\r", "\u{1F}", "\u{7F}", "\u{80}", "\u{85}", "\u{9F}",
            "\u{2028}", "\u{2029}",
        ] {
            #expect(nameError("Mi\(scalar)na") == expected, "\(Array(scalar.unicodeScalars))")
        }
    }

    @Test func roomWithControlCharacterIsRefused() {
        let expected = JoinError.invalidField(
            field: "room", reason: "must not contain control characters")
        #expect(roomError("dev\u{7}") == expected)
        #expect(roomError("dev\u{85}") == expected)
        #expect(roomError("dev\u{2028}") == expected)
    }

    @Test func charactersNextToTheControlRangesAreAllowed() {
        #expect(nameError(" ~\u{A0}\u{2027}\u{202A}") == nil)
    }

    @Test func nameOfExactly64BytesIsAccepted() {
        #expect(nameError(String(repeating: "a", count: 64)) == nil)
        #expect(nameError(String(repeating: "é", count: 32)) == nil)
        #expect(nameError(String(repeating: "李", count: 21) + "a") == nil)
        #expect(nameError(String(repeating: "😀", count: 16)) == nil)
    }

    @Test func nameOf65BytesIsRefused() {
        let expected = JoinError.invalidField(field: "name", reason: "must be at most 64 bytes")
        #expect(nameError(String(repeating: "a", count: 65)) == expected)
        #expect(nameError(String(repeating: "é", count: 32) + "a") == expected)
        // 22 characters, but 66 bytes: the limit counts bytes, not characters.
        #expect(nameError(String(repeating: "李", count: 22)) == expected)
    }

    @Test func roomOf65BytesIsRefusedAnd64Accepted() {
        #expect(roomError(String(repeating: "r", count: 64)) == nil)
        #expect(
            roomError(String(repeating: "r", count: 65))
                == .invalidField(field: "room", reason: "must be at most 64 bytes"))
    }

    @Test func configuredLimitsAreApplied() {
        var limits = GatewayLimits()
        limits.maxNameBytes = 4
        limits.maxRoomBytes = 2
        #expect(JoinRequest(name: "Mina", room: "ab").validate(limits) == nil)
        #expect(
            JoinRequest(name: "Minas", room: "ab").validate(limits)
                == .invalidField(field: "name", reason: "must be at most 4 bytes"))
        #expect(
            JoinRequest(name: "Mina", room: "abc").validate(limits)
                == .invalidField(field: "room", reason: "must be at most 2 bytes"))
    }

    @Test func nameIsCheckedBeforeRoom() {
        #expect(
            JoinRequest(name: "", room: "").validate(limits)
                == .invalidField(field: "name", reason: "must not be empty"))
    }
}
