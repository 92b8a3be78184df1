import ControlProtocol
import Foundation

/// The supervisor's control socket through `Supervisor`'s own `ControlClient`, called on a thread of its own:
/// its blocking reads must not hold one of the few threads that run the bench's timing tasks.
struct ControlChannel: Sendable {
    let socket: String

    func send(_ request: ControlRequest, timeout: Duration = .seconds(30)) async throws -> ControlResponse {
        try await withCheckedThrowingContinuation { continuation in
            let path = socket
            let thread = Thread {
                do {
                    continuation.resume(returning: try ControlClient.send(request, socket: path, timeout: timeout))
                } catch {
                    continuation.resume(throwing: BenchFailure("\(error)"))
                }
            }
            thread.name = "vkserve-bench-control"
            thread.start()
        }
    }

    func status() async throws -> PoolStatus {
        let r = try await send(ControlRequest(command: .status), timeout: .seconds(10))
        guard r.ok, let status = r.status else {
            throw BenchFailure("vkserved answered status with an error: \(r.error ?? "no status")")
        }
        return status
    }
}

extension PoolStatus {
    /// Worker name → pid, for workers that have a process.
    var workerPIDs: [String: Int32] {
        var out: [String: Int32] = [:]
        for row in rows { if let pid = row.pid { out[row.name] = pid } }
        return out
    }

    /// Every worker running, none with a second incarnation beside it.
    var settled: Bool { allRunning && rows.allSatisfy { $0.shadow == nil } }
}
