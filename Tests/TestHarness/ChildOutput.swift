import Foundation

/// A child's stdout and stderr, each read to its end on a thread of its own from the moment the child starts, so
/// that the child never blocks on a full pipe however late (or in whichever order) the test collects them.
final class ChildOutput: @unchecked Sendable {
    private let out = Pipe()
    private let err = Pipe()
    private var outData = Data()
    private var errData = Data()
    /// Signalled once by each reader at its end of file.
    private let ended = DispatchSemaphore(value: 0)

    /// Starts `process` with its output going to the two pipes, and the readers.
    init(running process: Process) throws {
        process.standardOutput = out
        process.standardError = err
        try process.run()
        Thread { [self] in
            outData = out.fileHandleForReading.readDataToEndOfFile()
            ended.signal()
        }.start()
        Thread { [self] in
            errData = err.fileHandleForReading.readDataToEndOfFile()
            ended.signal()
        }.start()
    }

    /// Waits for both pipes to end and for the exit: status, stdout, stderr. A child still writing after `timeout`
    /// seconds is killed and the wait fails, naming `what`.
    func finish(_ process: Process, what: @autoclosure () -> String, timeout: Double) throws
        -> (status: Int32, out: String, err: String)
    {
        let deadline = DispatchTime.now() + timeout
        var endedPipes = 0
        while endedPipes < 2, ended.wait(timeout: deadline) == .success { endedPipes += 1 }
        if endedPipes < 2 {
            kill(process.processIdentifier, SIGKILL)
            // The pipes close with the child, unless it left descendants holding them: a short grace for its output.
            while endedPipes < 2, ended.wait(timeout: .now() + 10) == .success { endedPipes += 1 }
            let stderr = endedPipes == 2 ? String(decoding: errData, as: UTF8.self).suffix(2000) : "(still open)"
            throw TestFailure("\(what()) ran past \(timeout) s and was killed; stderr: \(stderr)")
        }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
