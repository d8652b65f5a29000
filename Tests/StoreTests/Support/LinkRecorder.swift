import Reactor
import StoreClient
import StoreProtocol

/// A `StoreLinkDelegate` that records everything the link reports.
final class LinkRecorder: StoreLinkDelegate {
    var states: [StoreLinkState] = []
    var statuses: [StoreStatus] = []
    var commits: [StoreTicket] = []
    var loadStarts = 0
    var rooms: [LoadedRoom] = []
    var lines: [String: [StoredLine]] = [:]
    var gateways: [GatewayMark] = []
    var finished: LoadSummary?

    var committedThrough: StoreTicket { commits.last ?? 0 }

    func storeLink(_ link: StoreLink, didChangeState state: StoreLinkState) { states.append(state) }
    func storeLink(_ link: StoreLink, didReportStatus status: StoreStatus) { statuses.append(status) }
    func storeLink(_ link: StoreLink, didCommitThrough ticket: StoreTicket) { commits.append(ticket) }

    func storeLinkDidBeginLoad(_ link: StoreLink) {
        loadStarts += 1
        rooms = []
        lines = [:]
        gateways = []
        finished = nil
    }

    func storeLink(_ link: StoreLink, didLoadRoom room: LoadedRoom) { rooms.append(room) }

    func storeLink(_ link: StoreLink, didLoadLines batch: StoredLines, of room: LoadedRoom) {
        for line in batch { lines[room.name, default: []].append(line.value) }
    }

    func storeLink(_ link: StoreLink, didLoadGateway mark: GatewayMark) { gateways.append(mark) }
    func storeLink(_ link: StoreLink, didFinishLoad summary: LoadSummary) { finished = summary }
}

extension StoreLink {
    /// Appends a line given as strings (tests only).
    @discardableResult
    func append(
        room: String, epoch: String, offset: UInt64, time: UInt64, name: String, text: String, gateway: GatewayMark = .none
    )
        -> StoreTicket
    {
        let nameBytes = Array(name.utf8)
        let textBytes = Array(text.utf8)
        return nameBytes.withUnsafeBytes { n in
            textBytes.withUnsafeBytes { t in
                append(room: room, epoch: epoch, offset: offset, time: time, name: n, text: t, gateway: gateway)
            }
        }
    }
}
