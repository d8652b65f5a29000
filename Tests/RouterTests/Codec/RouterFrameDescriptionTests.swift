import Testing

@testable import RouterProtocol

@Suite("RouterFrame descriptions")
struct RouterFrameDescriptionTests {
    @Test func framesDescribeThemselvesAsOneLogLine() {
        let expected: [(RouterFrame, String)] = [
            (.hello(version: 1, gateway: "tcp-1"), "HELLO version=1 gateway=tcp-1"),
            (.welcome(version: 1), "WELCOME version=1"),
            (.join(conn: 3, name: "Mina", room: "dev"), "JOIN conn=3 name=Mina room=dev"),
            (.leave(conn: 3), "LEAVE conn=3"),
            (.joined(conn: 3, room: 9), "JOINED conn=3 room=9"),
            (.ack(count: 12), "ACK count=12"),
            (.ready, "READY"),
        ]
        for (frame, line) in expected {
            #expect(frame.description == line)
        }
    }

    @Test func sayAndDeliverShowByteCountsNotContent() {
        #expect(
            RouterFrame.say(conn: 3, text: Array("secret".utf8)).description == "SAY conn=3 bytes=6"
        )
        #expect(
            RouterFrame.deliver(room: 9, payload: Array("Mina:secret\n".utf8)).description
                == "DELIVER room=9 bytes=12")
    }

    @Test func valuesWithSpacesQuotesOrControlsAreQuoted() {
        #expect(
            RouterFrame.rejected(conn: 3, reason: "name \"Mina\" taken").description
                == #"REJECTED conn=3 reason="name \"Mina\" taken""#)
        #expect(
            RouterFrame.join(conn: 1, name: "", room: "a\nb").description
                == #"JOIN conn=1 name="" room="a\nb""#)
    }
}
