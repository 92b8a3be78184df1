/// What the router reports for metrics. Every method has a no-op default.
public protocol RouterObserver: Sendable {
    func queueDepth(_ depth: Int)
    func queueWait(seconds: Double)
    func queueRejected()
    func retried()
}

extension RouterObserver {
    public func queueDepth(_ depth: Int) {}
    public func queueWait(seconds: Double) {}
    public func queueRejected() {}
    public func retried() {}
}

struct NoRouterObserver: RouterObserver {}
