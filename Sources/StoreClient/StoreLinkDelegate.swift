import StoreProtocol

/// What a `StoreLink` tells the router. Called on the loop; none may block.
public protocol StoreLinkDelegate: AnyObject {
    /// Up (`.ready`) or down (`.down(reason)`), and the rest.
    func storeLink(_ link: StoreLink, didChangeState state: StoreLinkState)
    /// The store can or cannot commit (e.g. disk full); batches wait meanwhile.
    func storeLink(_ link: StoreLink, didReportStatus status: StoreStatus)
    /// Every batch up to `ticket` is committed; called in ticket order, once
    /// per COMMITTED.
    func storeLink(_ link: StoreLink, didCommitThrough ticket: StoreTicket)
    /// A load starts: after `load()`, and again if a reconnect had to start it
    /// over (forget what the previous attempt delivered).
    func storeLinkDidBeginLoad(_ link: StoreLink)
    /// One room; its `lineCount` lines follow in `didLoadLines` calls.
    func storeLink(_ link: StoreLink, didLoadRoom room: LoadedRoom)
    /// Lines of `room`, oldest first, borrowed: valid only during the call.
    func storeLink(_ link: StoreLink, didLoadLines lines: StoredLines, of room: LoadedRoom)
    /// A gateway process's highest sequence stored (for dedupe of resent SAYs).
    func storeLink(_ link: StoreLink, didLoadGateway mark: GatewayMark)
    /// The load is complete.
    func storeLink(_ link: StoreLink, didFinishLoad summary: LoadSummary)
}

extension StoreLinkDelegate {
    public func storeLink(_ link: StoreLink, didChangeState state: StoreLinkState) {}
    public func storeLink(_ link: StoreLink, didReportStatus status: StoreStatus) {}
    public func storeLinkDidBeginLoad(_ link: StoreLink) {}
    public func storeLink(_ link: StoreLink, didLoadRoom room: LoadedRoom) {}
    public func storeLink(_ link: StoreLink, didLoadLines lines: StoredLines, of room: LoadedRoom) {}
    public func storeLink(_ link: StoreLink, didLoadGateway mark: GatewayMark) {}
    public func storeLink(_ link: StoreLink, didFinishLoad summary: LoadSummary) {}
}
