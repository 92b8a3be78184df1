import Foundation

/// Spawns worker processes from one thread that lives as long as the supervisor.
///
/// Workers set `PR_SET_PDEATHSIG`, which fires when the *thread* that created them exits, not
/// the process. Swift's cooperative pool retires idle threads, so a worker spawned from one
/// would be killed at a random moment. Spawning from a permanent thread keeps the signal tied
/// to the supervisor's own death.
final class ProcessSpawner: @unchecked Sendable {
    static let shared = ProcessSpawner()

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "vkserved-spawner"
        thread.start()
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `body` on the spawner thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            condition.lock()
            jobs.append { continuation.resume(returning: body()) }
            condition.signal()
            condition.unlock()
        }
    }
}
