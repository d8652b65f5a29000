import RouterProtocol
import Testing

@testable import GatewayCore

/// Parses `{"name":"Mina","room":"dev",<extra>}`.
private func parseWith(_ extra: String) -> Result<JoinRequest, JoinError> {
    JoinRequest.parse(Array(#"{"name":"Mina","room":"dev",\#(extra)}"#.utf8))
}

/// The request a join with `extra` parses to, or nil (recording why).
private func request(_ extra: String, sourceLocation: SourceLocation = #_sourceLocation) -> JoinRequest? {
    switch parseWith(extra) {
    case .success(let request):
        return request
    case .failure(let error):
        Issue.record("\(extra) was refused: \(error.message)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The client text of the refusal of a join with `extra`, or nil if accepted.
private func refusal(_ extra: String) -> String? {
    if case .failure(let error) = parseWith(extra) { return error.message }
    return nil
}

private func format(of text: String) -> ClientFormat {
    Array(text.utf8).withUnsafeBytes { JoinRequest.requestedFormat($0) }
}

private let formatText = #""format" must be "text" or "json""#
private let historyText = #""history" must be a whole number from 0 to 1000000"#
private let sinceText = #""since" must be a whole number from 0 to 9007199254740991 (an offset from a message)"#
private let epochText = #""epoch" must be the non-empty string from the welcome (at most 64 bytes)"#
private let sinceNeedsEpochText = #""since" needs "epoch": send both, as the welcome and messages gave them"#
private let epochNeedsSinceText = #""epoch" needs "since": send both, as the welcome and messages gave them"#
private let presenceText = #""presence" must be true or false"#
private let presenceNeedsJSONText =
    #""presence" needs "format":"json" (text lines have no place for join and leave events)"#

@Suite("Join options")
struct JoinOptionsTests {
    // MARK: format

    @Test func formatDefaultsToText() {
        let plain = JoinRequest.parse(Array(#"{"name":"Mina","room":"dev"}"#.utf8))
        #expect(plain == .success(JoinRequest(name: "Mina", room: "dev")))
        #expect(request(#""x":1"#)?.format == .text)
    }

    @Test func formatTextAndJSONAreAccepted() {
        #expect(request(#""format":"text""#)?.format == .text)
        #expect(request(#""format":"json""#)?.format == .json)
        #expect(request(#""format":"\u006Ason""#)?.format == .json)
    }

    @Test func unknownFormatIsRefused() {
        for value in [#""JSON""#, #""Text""#, #""xml""#, #""""#, #"" json""#, #""json ""#] {
            #expect(refusal(#""format":\#(value)"#) == formatText, "\(value)")
        }
    }

    @Test func formatOfAnotherTypeIsRefused() {
        for value in ["1", "0", "true", "false", "null", "[]", #"["json"]"#, "{}", #"{"format":"json"}"#] {
            #expect(refusal(#""format":\#(value)"#) == formatText, "\(value)")
        }
    }

    // MARK: history

    @Test func historyInRangeIsAccepted() {
        #expect(request(#""history":0"#)?.history == 0)
        #expect(request(#""history":1"#)?.history == 1)
        #expect(request(#""history":100"#)?.history == 100)
        #expect(request(#""history":1000000"#)?.history == 1_000_000)
        #expect(request(#""x":1"#)?.history == nil)
    }

    @Test func historyAboveTheMaximumIsRefused() {
        for value in ["1000001", "4294967296", "18446744073709551615", "18446744073709551616", "99999999999999999999"] {
            #expect(refusal(#""history":\#(value)"#) == historyText, "\(value)")
        }
    }

    @Test func historyThatIsNotAWholeNumberIsRefused() {
        for value in ["-1", "-0", "1.5", "1.0", "0.0", "1e2", "1E2", "1e+2", "1e30", "-1e30", "100e-2"] {
            #expect(refusal(#""history":\#(value)"#) == historyText, "\(value)")
        }
    }

    @Test func historyOfAnotherTypeIsRefused() {
        for value in [#""5""#, #""""#, "true", "false", "null", "[5]", #"{"n":5}"#] {
            #expect(refusal(#""history":\#(value)"#) == historyText, "\(value)")
        }
    }

    @Test func historyWithALeadingZeroIsNotJSON() {
        guard case .failure(.invalidJSON) = parseWith(#""history":05"#) else {
            Issue.record("a leading zero was accepted")
            return
        }
    }

    // MARK: since and epoch

    @Test func sinceWithEpochAsksToResume() {
        #expect(
            request(#""since":41,"epoch":"9f2c4e1a7b3d5c60""#)?.resume
                == JoinOptions.Resume(since: 41, epoch: "9f2c4e1a7b3d5c60"))
        #expect(request(#""epoch":"e","since":0"#)?.resume == JoinOptions.Resume(since: 0, epoch: "e"))
        #expect(
            request(#""since":9007199254740991,"epoch":"e""#)?.resume
                == JoinOptions.Resume(since: 9_007_199_254_740_991, epoch: "e"))
        #expect(request(#""x":1"#)?.resume == nil)
    }

    @Test func sinceWithoutEpochIsRefused() {
        #expect(refusal(#""since":41"#) == sinceNeedsEpochText)
        #expect(refusal(#""since":"bad""#) == sinceNeedsEpochText)
        #expect(refusal(#""since":null"#) == sinceNeedsEpochText)
    }

    @Test func epochWithoutSinceIsRefused() {
        #expect(refusal(#""epoch":"9f2c4e1a7b3d5c60""#) == epochNeedsSinceText)
        #expect(refusal(#""epoch":7"#) == epochNeedsSinceText)
    }

    @Test func sinceThatIsNotAnOffsetIsRefused() {
        for value in [
            "-1", "-0", "1.5", "2.0", "1e3", "9007199254740992", "18446744073709551615", "99999999999999999999", #""41""#,
            "null", "true", "[41]",
        ] {
            #expect(refusal(#""since":\#(value),"epoch":"e""#) == sinceText, "\(value)")
        }
    }

    @Test func badSinceIsReportedBeforeABadEpoch() {
        #expect(refusal(#""since":-1,"epoch":"""#) == sinceText)
    }

    @Test func epochThatIsEmptyTooLongOrNotAStringIsRefused() {
        let tooLong = String(repeating: "a", count: 65)
        let multibyteTooLong = String(repeating: "é", count: 32) + "a"
        for value in [#""""#, "\"\(tooLong)\"", "\"\(multibyteTooLong)\"", "7", "null", "false", "[]", #"{"e":1}"#] {
            #expect(refusal(#""since":1,"epoch":\#(value)"#) == epochText, "\(value)")
        }
    }

    @Test func epochOfExactly64BytesIsAccepted() {
        let ascii = String(repeating: "f", count: 64)
        let multibyte = String(repeating: "é", count: 32)
        #expect(request(#""since":1,"epoch":"\#(ascii)""#)?.resume == JoinOptions.Resume(since: 1, epoch: ascii))
        #expect(request(#""since":1,"epoch":"\#(multibyte)""#)?.resume == JoinOptions.Resume(since: 1, epoch: multibyte))
    }

    // MARK: presence

    @Test func presenceWithJSONIsAccepted() {
        #expect(request(#""format":"json","presence":true"#)?.presence == true)
        #expect(request(#""presence":true,"format":"json""#)?.presence == true)
        #expect(request(#""format":"json","presence":false"#)?.presence == false)
        #expect(request(#""format":"json""#)?.presence == false)
    }

    @Test func presenceFalseIsAcceptedWithText() {
        #expect(request(#""presence":false"#)?.presence == false)
        #expect(request(#""format":"text","presence":false"#)?.presence == false)
    }

    @Test func presenceThatIsNotABooleanIsRefused() {
        for value in [#""true""#, "1", "0", "null", "[true]", "{}"] {
            #expect(refusal(#""format":"json","presence":\#(value)"#) == presenceText, "\(value)")
        }
    }

    @Test func presenceWithoutJSONIsRefused() {
        #expect(refusal(#""presence":true"#) == presenceNeedsJSONText)
        #expect(refusal(#""format":"text","presence":true"#) == presenceNeedsJSONText)
    }

    // MARK: Everything together

    @Test func everyOptionTogetherIsParsed() {
        var expected = JoinRequest(name: "Mina", room: "dev")
        expected.format = .json
        expected.history = 100
        expected.resume = JoinOptions.Resume(since: 41, epoch: "9f2c4e1a7b3d5c60")
        expected.presence = true
        #expect(
            parseWith(#""format":"json","history":100,"since":41,"epoch":"9f2c4e1a7b3d5c60","presence":true"#)
                == .success(expected))
    }

    @Test func unknownKeysAreIgnored() {
        let parsed = request(
            #""Token":"abc","History":"x","Format":7,"presence ":1,"opts":{"format":"xml","history":-1},"list":[1,{"since":-1}]"#
        )
        #expect(parsed == JoinRequest(name: "Mina", room: "dev"))
    }

    @Test func aTokenIsKeptAndLetsTheNameBeLeftOut() {
        var expected = JoinRequest(name: "Mina", room: "dev")
        expected.token = "abc"
        #expect(request(#""token":"abc""#) == expected)
        var unnamed = JoinRequest(name: "", room: "dev")
        unnamed.token = "abc"
        #expect(JoinRequest.parse(Array(#"{"room":"dev","token":"abc"}"#.utf8)) == .success(unnamed))
        #expect(
            JoinRequest.parse(Array(#"{"name":"Mina","room":"dev","token":7}"#.utf8))
                == .failure(.invalidOption(#""token" must be a string (a JWT)"#)))
        // Without a token the name is required, as before.
        #expect(JoinRequest.parse(Array(#"{"room":"dev"}"#.utf8)) == .failure(.missingField("name")))
    }

    @Test func nameAndRoomAreCheckedBeforeTheOptions() {
        #expect(JoinRequest.parse(Array(#"{"room":"dev","format":"xml"}"#.utf8)) == .failure(.missingField("name")))
        #expect(JoinRequest.parse(Array(#"{"name":"Mina","history":-1}"#.utf8)) == .failure(.missingField("room")))
        #expect(JoinRequest.parse(Array(#"{"name":1,"room":"dev","since":1}"#.utf8)) == .failure(.wrongType(field: "name")))
    }

    @Test func optionsAreCheckedInTheOrderTheErrorsNameThem() {
        #expect(refusal(#""format":"xml","history":-1"#) == formatText)
        #expect(refusal(#""history":-1,"since":1"#) == historyText)
        #expect(refusal(#""since":1,"presence":"yes""#) == sinceNeedsEpochText)
        #expect(refusal(#""presence":"yes""#) == presenceText)
    }

    @Test func optionErrorTextIsTheClientMessage() {
        #expect(JoinError.invalidOption(historyText).message == historyText)
    }

    // MARK: What the router is asked for

    @Test func plainTextJoinGetsTheDefaultHistory() {
        let join = JoinRequest(name: "Mina", room: "dev")
        #expect(join.routerOptions(defaultHistory: 50) == JoinOptions(history: 50))
        #expect(join.routerOptions(defaultHistory: 0) == JoinOptions())
        #expect(join.routerOptions(defaultHistory: -5) == JoinOptions())
    }

    @Test func explicitHistoryWinsOverTheDefault() {
        var join = JoinRequest(name: "Mina", room: "dev")
        join.history = 0
        #expect(join.routerOptions(defaultHistory: 50) == JoinOptions(history: 0))
        join.history = 7
        #expect(join.routerOptions(defaultHistory: 50) == JoinOptions(history: 7))
        join.history = 1_000_000
        #expect(join.routerOptions(defaultHistory: 0) == JoinOptions(history: 1_000_000))
    }

    @Test func defaultHistoryAboveTheMaximumIsCapped() {
        let join = JoinRequest(name: "Mina", room: "dev")
        #expect(join.routerOptions(defaultHistory: 5_000_000) == JoinOptions(history: 1_000_000))
        #expect(join.routerOptions(defaultHistory: Int.max) == JoinOptions(history: 1_000_000))
    }

    @Test func resumeIsPassedOnWithoutTheDefaultHistory() {
        var join = JoinRequest(name: "Mina", room: "dev")
        let resume = JoinOptions.Resume(since: 41, epoch: "9f2c4e1a7b3d5c60")
        join.resume = resume
        #expect(join.routerOptions(defaultHistory: 50) == JoinOptions(resume: resume))
        join.history = 3
        #expect(join.routerOptions(defaultHistory: 50) == JoinOptions(history: 3, resume: resume))
    }

    @Test func jsonJoinsAskForTheMemberListAndNoneIsARejoin() {
        var join = JoinRequest(name: "Mina", room: "dev")
        join.format = .json
        join.presence = true
        let options = join.routerOptions(defaultHistory: 0)
        #expect(options.wantsMembers)
        #expect(!options.isRejoin)
        join.format = .text
        join.presence = false
        #expect(!join.routerOptions(defaultHistory: 0).wantsMembers)
    }

    @Test func parsedJoinBecomesTheRouterOptions() {
        guard
            case .success(let join) = parseWith(#""format":"json","history":20,"since":9,"epoch":"abc","presence":true"#)
        else {
            Issue.record("refused")
            return
        }
        #expect(
            join.routerOptions(defaultHistory: 100)
                == JoinOptions(history: 20, resume: JoinOptions.Resume(since: 9, epoch: "abc"), wantsMembers: true))
    }

    // MARK: Which format errors are sent in

    @Test func requestedFormatIsJSONOnlyWhenTheObjectNamesIt() {
        #expect(format(of: #"{"name":"Mina","room":"dev","format":"json"}"#) == .json)
        #expect(format(of: #"{"format":"json"}"#) == .json)
        // The rest of the join may be wrong: its error is still sent as JSON.
        #expect(format(of: #"{"format":"json","history":-1}"#) == .json)
        #expect(format(of: #"{"format":"json","presence":"x","name":7}"#) == .json)
        #expect(format(of: #"{"name":"Mina","room":"dev"}"#) == .text)
        #expect(format(of: #"{"format":"text"}"#) == .text)
        #expect(format(of: #"{"format":"JSON"}"#) == .text)
        #expect(format(of: #"{"format":["json"]}"#) == .text)
        #expect(format(of: #"{"opts":{"format":"json"}}"#) == .text)
    }

    @Test func requestedFormatOfInvalidJSONIsText() {
        #expect(format(of: #"{"format":"json""#) == .text)
        #expect(format(of: #"{"format":"json"} trailing"#) == .text)
        #expect(format(of: #"["format","json"]"#) == .text)
        #expect(format(of: "") == .text)
    }
}
