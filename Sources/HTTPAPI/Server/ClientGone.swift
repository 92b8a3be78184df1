import NIOCore

/// The client closed its connection while its request was being answered: the work for it is cancelled.
struct ClientGone: Error {}

/// Returns when `channel` is no longer active (the client hung up: with remote half-closure off, its FIN closes
/// the channel), checked every 200 ms, or when the calling task is cancelled. Polling keeps nothing registered
/// on the channel per request, so a long keep-alive connection accumulates nothing.
func untilClosed(_ channel: any Channel) async {
    while channel.isActive {
        do {
            try await Task.sleep(for: .milliseconds(200))
        } catch {
            return
        }
    }
}
